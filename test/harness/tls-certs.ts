// Throwaway certificate authorities and server certificates made with the openssl command, for tests of
// database TLS: a CA, and a server certificate it signs for the names given (DNS names and IP addresses
// as subjectAltName entries).
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeOnExit } from "./server-process.js";

export interface TestCa {
  readonly dir: string;
  /** PEM certificate of the CA: what a client trusts. */
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ServerCert {
  readonly certFile: string;
  readonly keyFile: string;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A new self-signed CA named `name`, in its own directory under /tmp. */
export function makeCa(name: string): TestCa {
  const dir = mkdtempSync("/tmp/anp-ca-");
  removeOnExit(dir);
  // The worker under httpd runs as httpd's User and must read the CA certificate.
  chmodSync(dir, 0o755);
  const certFile = join(dir, "ca.pem");
  const keyFile = join(dir, "ca.key");
  openssl(
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", `/CN=${name}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    dir,
  );
  return { dir, certFile, keyFile };
}

/** A server certificate signed by `ca` for `names` ("DNS:localhost", "IP:127.0.0.1"); CN is the first name. */
export function makeServerCert(ca: TestCa, label: string, names: readonly string[]): ServerCert {
  const keyFile = join(ca.dir, `${label}.key`);
  const csrFile = join(ca.dir, `${label}.csr`);
  const certFile = join(ca.dir, `${label}.pem`);
  const extFile = join(ca.dir, `${label}.ext`);
  const cn = (names[0] ?? "localhost").replace(/^[A-Z]+:/, "");
  writeFileSync(extFile, `subjectAltName=${names.join(",")}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", csrFile, "-subj", `/CN=${cn}`], ca.dir);
  openssl(["x509", "-req", "-in", csrFile, "-CA", ca.certFile, "-CAkey", ca.keyFile, "-CAcreateserial", "-out", certFile, "-days", "2", "-extfile", extFile], ca.dir);
  return { certFile, keyFile };
}
