// Handler ids for WorkerRequest objects built by hand, given as the module gives them: one id per
// distinct spec text, and the definitions carried along in every request (a repeat is a no-op).
import type { WorkerRequest } from "../../src/worker/request.js";

const ids = new Map<string, number>();

export function idOf(spec: string): number {
  let id = ids.get(spec);
  if (id === undefined) {
    id = ids.size + 1;
    ids.set(spec, id);
  }
  return id;
}

/** The request fields naming `spec` as the handler (and `groupSpec` as the group handler), with their definitions. */
export function handledBy(spec: string, groupSpec: string | null = null): Pick<WorkerRequest, "handlerId" | "groupHandlerId" | "definitions"> {
  const definitions = [{ id: idOf(spec), spec }];
  if (groupSpec !== null && groupSpec !== spec) definitions.push({ id: idOf(groupSpec), spec: groupSpec });
  return { handlerId: idOf(spec), groupHandlerId: groupSpec === null ? null : idOf(groupSpec), definitions };
}
