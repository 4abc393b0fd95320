// One place that turns command results into values or a thrown `AppError` the pages can show.

import type { AppError } from "./bindings";
import { toAppError } from "./errors";

type Res<T> = { status: "ok"; data: T } | { status: "error"; error: AppError };

/** Awaits a generated command; returns its data or throws an `AppError` (never a raw value). */
export async function call<T>(p: Promise<Res<T>>): Promise<T> {
  let r: Res<T>;
  try {
    r = await p;
  } catch (e) {
    throw toAppError(e);
  }
  if (r.status === "ok") return r.data;
  throw toAppError(r.error);
}

export function isAppError(e: unknown): e is AppError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}
