import { MinevoError } from "@minevo/core";

/** The MinevoError code `body` throws, "not a MinevoError" for another error, "no error" otherwise. */
export function errorCodeOf(body: () => unknown): string {
  try {
    body();
  } catch (e) {
    return e instanceof MinevoError ? e.code : "not a MinevoError";
  }
  return "no error";
}
