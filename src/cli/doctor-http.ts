// The doctor's plain-HTTP check: `AuthType Basic` sends the password in clear text on every request, so a
// section that asks for it on a server reached over plain HTTP from other hosts gives passwords to the
// network. From DUMP_CONFIG: the sections that say `AuthType Basic`, the <VirtualHost> each is in (a section
// outside any applies to the main server and to every virtual host), each server's addresses (a
// VirtualHost's, or the main server's Listen lines) and whether it says `SSLEngine on`.
import type { Finding } from "./doctor-checks.js";

interface Server {
  readonly name: string;
  readonly addresses: string[];
  ssl: boolean;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|::1|localhost)$/i;

/** The host part of `host:port`, `[v6]:port`, or a bare port (all addresses); null for all addresses. */
function hostOf(address: string): string | null {
  if (/^\d+$/.test(address)) return null;
  const v6 = /^(\[[^\]]+\])(?::\d+)?$/.exec(address);
  if (v6) return v6[1] as string;
  const host = address.replace(/:\d+$/, "");
  return host === "*" || host === "_default_" || host === "0.0.0.0" || host === "[::]" ? null : host;
}

const reachableFromOthers = (server: Server): boolean => server.addresses.some((address) => hostOf(address) === null || !LOOPBACK.test(hostOf(address) as string));

interface Parsed {
  readonly servers: Server[];
  /** Each `AuthType Basic` section with the server it is in (null: the main server's level, every server). */
  readonly basic: Array<{ section: string; server: Server | null }>;
}

function parse(dump: string): Parsed {
  const main: Server = { name: "the main server", addresses: [], ssl: false };
  const servers: Server[] = [main];
  const basic: Parsed["basic"] = [];
  const stack: string[] = [];
  let vhost: Server | null = null;
  for (const raw of dump.split("\n")) {
    const line = raw.trim();
    const opened = /^<VirtualHost\s+([^>]*)>$/i.exec(line);
    if (opened) {
      vhost = { name: line, addresses: (opened[1] as string).split(/\s+/).map((word) => word.replace(/^"|"$/g, "")), ssl: false };
      servers.push(vhost);
    }
    if (/^<\/VirtualHost>$/i.test(line)) vhost = null;
    if (line.startsWith("</")) stack.pop();
    else if (line.startsWith("<")) stack.push(line);
    const listen = /^Listen\s+(\S+)/i.exec(line);
    if (listen) main.addresses.push(listen[1] as string);
    if (/^SSLEngine\s+on$/i.test(line)) (vhost ?? main).ssl = true;
    if (/^AuthType\s+"?Basic"?$/i.test(line)) basic.push({ section: stack[stack.length - 1] ?? "(server level)", server: vhost });
  }
  return { servers, basic };
}

export function plainHttpFindings(dump: string | null): Finding[] {
  const check = "plain-http-basic";
  if (dump === null) return [];
  const { servers, basic } = parse(dump);
  const findings: Finding[] = [];
  for (const { section, server } of basic) {
    const exposed = (server === null ? servers : [server]).filter((candidate) => !candidate.ssl && reachableFromOthers(candidate));
    if (exposed.length === 0) continue;
    findings.push({
      check,
      status: "warn",
      detail: `${section}: AuthType Basic on ${exposed.map((s) => `${s.name} (${s.addresses.join(" ") || "no address"})`).join(", ")}, plain HTTP that other hosts reach: passwords cross the network in clear`,
      fix: "serve it over HTTPS only (SSLEngine on in that VirtualHost; on port 80 a Redirect to https:// with no authentication), or listen on loopback behind a TLS proxy",
    });
  }
  if (findings.length > 0) return findings;
  return [{ check, status: "ok", detail: basic.length === 0 ? "no AuthType Basic section" : "every AuthType Basic section is on HTTPS or loopback only" }];
}
