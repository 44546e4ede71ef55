// test/vectors/django-options.json: NodeAuthDjangoOption values the Django handler accepts and refuses, read by
// the unit test that runs them through the handler and the e2e test that runs them through apache2 -t.
import { readFileSync } from "node:fs";

export interface DjangoOptionVectors {
  readonly options: Readonly<Record<string, { readonly kind: string; readonly accepts: readonly string[]; readonly refuses: ReadonlyArray<{ readonly value: string; readonly message: string }> }>>;
  readonly unknownKeys: ReadonlyArray<{ readonly key: string; readonly message: string }>;
  readonly moduleKeys: ReadonlyArray<{ readonly key: string; readonly message: string }>;
}

export function loadDjangoOptionVectors(): DjangoOptionVectors {
  return JSON.parse(readFileSync(new URL("../vectors/django-options.json", import.meta.url), "utf8")) as DjangoOptionVectors;
}
