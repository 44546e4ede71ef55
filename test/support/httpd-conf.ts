// httpd.conf text the tests put after the harness's server directives: one builder, so every test
// indents and closes its <Location> sections alike.

/** A <Location> section: each line indented once, in the order given. */
export function location(path: string, lines: readonly string[]): string {
  return [`<Location "${path}">`, ...lines.map((line) => `    ${line}`), "</Location>"].join("\n");
}

/** A <Location> section that asks for Basic credentials in `realm`, then `lines`. */
export function basicLocation(path: string, realm: string, lines: readonly string[]): string {
  return location(path, ["AuthType Basic", `AuthName "${realm}"`, ...lines]);
}
