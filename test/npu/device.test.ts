// The cluster's device interface (src/sim/cluster/device.ts) is generic: a device the cluster has
// never heard of plugs in through ClusterOptions.devices with its own clock, a memory effect and an
// event line; and a cluster built without the NPU has no NPU registers.
import { describe, expect, it } from 'vitest';
import { runCluster } from '../../src/sim/cluster/cluster.js';
import type { ClusterDevice, DeviceContext } from '../../src/sim/cluster/device.js';
import { fields } from '../cluster/helpers.js';
import { buildNpuProgram } from './harness.js';

/** Writes 42 to the address it is given 1000 cycles later, then raises event 12. */
class Toy implements ClusterDevice {
  readonly name = 'toy';
  readonly windows = [[0x1000, 4]] as const;
  stall = 0;
  private due = Infinity;
  private addr = 0;
  private done = 0;
  constructor(readonly ctx: DeviceContext) {}
  read(): number {
    return this.done;
  }
  write(_c: number, _off: number, v: number, t: number): void {
    this.addr = v;
    this.due = t + 1000;
  }
  nextDue(): number {
    return Infinity;
  }
  applyDue(): void {}
  advance(t: number): void {
    if (this.due <= t) {
      this.ctx.memory.write32(this.addr, 42);
      this.ctx.event(1, 12, this.due);
      this.due = Infinity;
      this.done++;
    }
  }
  nextWork(): number {
    return this.due;
  }
  engineStats() {
    return { jobs: this.done, busyCycles: 1000 * this.done, macs: 0, stallCycles: 0 };
  }
}

describe('generic device interface', () => {
  it('an unknown device: own clock, memory effect at its cycle, event 12, engine statistics', async () => {
    const r = runCluster(await buildNpuProgram('toy'), { devices: [(ctx) => new Toy(ctx)] });
    expect(r.fault).toBeUndefined();
    const f = fields(new TextDecoder().decode(r.stdout), 'toy');
    expect(f).toMatchObject({ early: 0, late: 42 });
    expect(f.slept).toBeGreaterThanOrEqual(1000);
    expect(r.engines).toEqual({ toy: { jobs: 1, busyCycles: 1000, macs: 0, stallCycles: 0 } });
  });
  it('without the NPU in the device list, its registers are not there', async () => {
    const r = runCluster(await buildNpuProgram('faults', ['CASE=0'], '-0'), { devices: [] });
    expect(r.exitCode).toBe(3);
    expect(r.fault).toMatch(/unmapped address\) at 0x10201004/); // the ACQUIRE read
    expect(r.engines).toEqual({});
  });
});
