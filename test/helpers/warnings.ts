// test/helpers/warnings.ts — the process warnings emitted while fn runs. Warnings are delivered
// on a later tick, so this waits for them; Node's own printer (itself a "warning" listener) is
// held back meanwhile, so an expected warning does not land in the middle of the test output.
export async function captureWarnings(fn: () => void): Promise<(Error & { code?: string })[]> {
  const seen: (Error & { code?: string })[] = [];
  const others = process.listeners("warning");
  process.removeAllListeners("warning");
  const listener = (w: Error) => seen.push(w);
  process.on("warning", listener);
  try {
    fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off("warning", listener);
    for (const other of others) process.on("warning", other);
  }
  return seen;
}
