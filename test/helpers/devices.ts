// test/helpers/devices.ts — the backends a test file runs against: every available one, or the
// comma-separated list in CUOPTIM_TEST_DEVICES.
import { backends, type Device } from "../../src-ts/index.js";

export function testDevices(): Device[] {
  const available = backends().filter((b) => b.available).map((b) => b.name);
  const wanted = process.env.CUOPTIM_TEST_DEVICES?.split(",").map((s) => s.trim()).filter(Boolean);
  return wanted ? available.filter((d) => wanted.includes(d)) : available;
}
