// httpd's configuration as httpd itself parsed it: the text mod_info prints for `-t -D DUMP_CONFIG`, read
// back into a tree of sections (the server level, <VirtualHost>, <Directory>, <Location>, <Files>, <If>, the
// *Match forms, ...) with their directives in order and the file:line mod_info prints before each one.
// <IfModule>, <IfDefine>, Include and <Macro> are gone by then (httpd runs them while reading), so what is
// here is what httpd would use. Arguments are split into words the way ap_getword_conf does.

export interface ConfigDirective {
  /** The directive's name as written (httpd compares names case-insensitively). */
  readonly name: string;
  /** The arguments as mod_info prints them (as written, quotes kept). */
  readonly raw: string;
  readonly words: readonly string[];
  readonly file: string | null;
  readonly line: number | null;
}

export interface ConfigSection {
  /** `server` for the top level, else the section's name as written (`Location`, `VirtualHost`, ...). */
  readonly kind: string;
  /** The opening line, e.g. `<Location "/secret">`; `(server)` for the top level. */
  readonly header: string;
  readonly words: readonly string[];
  readonly file: string | null;
  readonly line: number | null;
  readonly directives: ConfigDirective[];
  readonly sections: ConfigSection[];
  readonly parent: ConfigSection | null;
}

/**
 * Splits directive arguments into words as ap_getword_conf does: whitespace separates words; a word that
 * starts with " or ' runs to the same quote, and inside it a backslash before that quote stands for it.
 */
export function confWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    if (i >= text.length) break;
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      let word = "";
      i++;
      while (i < text.length && text[i] !== quote) {
        if (text[i] === "\\" && text[i + 1] === quote) i++;
        word += text[i];
        i++;
      }
      words.push(word);
      i++;
    } else {
      const start = i;
      while (i < text.length && !/\s/.test(text[i] as string)) i++;
      words.push(text.slice(start, i));
    }
  }
  return words;
}

const root = (): ConfigSection => ({ kind: "server", header: "(server)", words: [], file: null, line: null, directives: [], sections: [], parent: null });

/** The tree of a DUMP_CONFIG text (httpd's stdout). Lines that are neither comments, sections nor directives are skipped. */
export function parseDumpConfig(dump: string): ConfigSection {
  const top = root();
  let current = top;
  let file: string | null = null;
  let line: number | null = null;
  for (const raw of dump.split("\n")) {
    const text = raw.trim();
    const inFile = /^# In file: (.+)$/.exec(text);
    const lineNo = /^#\s*(\d+):$/.exec(text);
    if (inFile) file = inFile[1] as string;
    else if (lineNo) line = Number(lineNo[1]);
    else if (/^<\/[^>]+>$/.test(text)) current = current.parent ?? top;
    else if (/^<[A-Za-z][^\s>]*(\s[^>]*)?>$/.test(text)) {
      const [, kind, args] = /^<(\S+?)(?:\s+(.*))?>$/.exec(text) as RegExpExecArray;
      const section: ConfigSection = { kind: kind as string, header: text, words: confWords(args ?? ""), file, line, directives: [], sections: [], parent: current };
      current.sections.push(section);
      current = section;
      line = null;
    } else if (/^[A-Za-z]\S*(\s|$)/.test(text)) {
      const [, name, args] = /^(\S+)\s*(.*)$/.exec(text) as RegExpExecArray;
      current.directives.push({ name: name as string, raw: args as string, words: confWords(args as string), file, line });
      line = null;
    }
  }
  return top;
}

/** `file:line` of a section or directive, or its header when mod_info printed no line. */
export function whereOf(item: { readonly file: string | null; readonly line: number | null }): string | null {
  return item.file === null || item.line === null ? null : `${item.file}:${String(item.line)}`;
}

/** The section and every section inside it, depth first, in configuration order. */
export function* allSections(section: ConfigSection): Generator<ConfigSection> {
  yield section;
  for (const inner of section.sections) yield* allSections(inner);
}
