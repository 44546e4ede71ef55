// The drivers' TLS options for a location's TlsSettings. The CA file is read once, when the handler is
// made, so a path that cannot be read fails that handler with a message naming the file instead of
// every later connection with a driver error.
import { readFileSync } from "node:fs";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { DjangoConfigError } from "../../errors.js";
import type { TlsSettings } from "../database-url.js";

/** What both drivers take: the CA to trust, whether to check the chain, and whether the name too. */
export interface DriverTls {
  readonly ca?: Buffer;
  readonly rejectUnauthorized: boolean;
  readonly checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
}

/** `tls` as tls.connect options; `caParam` names the URL parameter for the error message. */
export function driverTls(tls: TlsSettings, caParam: string): DriverTls {
  const ca = tls.caFile === undefined ? undefined : readCa(tls.caFile, caParam);
  return {
    ...(ca === undefined ? {} : { ca }),
    // "none" still encrypts, as libpq's sslmode=require and MySQL's REQUIRED do, but trusts any certificate.
    rejectUnauthorized: tls.verify !== "none",
    // verify-ca checks the chain only: the certificate may name another host.
    checkServerIdentity: tls.verify === "full" ? checkServerIdentity : () => undefined,
  };
}

function readCa(path: string, caParam: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new DjangoConfigError("database", `${caParam}: cannot read ${path} (${code})`, { cause: error });
  }
}
