// The device interface the cluster builds on: peripheral accesses go to a Device; a read that
// answers BLOCK puts the core to sleep at that instruction, and the access is retried on wake().
import { describe, expect, it } from 'vitest';
import { encode } from '../../isa/index.js';
import { Core } from '../../src/sim/core.js';
import { BLOCK, Memory, type Device } from '../../src/sim/memory.js';
import { siracusa } from '../../src/sim/platform/siracusa.js';
import { CODE } from './exec.js';

const EU_WAIT = 0x1020403c;

class FakeEventUnit implements Device {
  ready = false;
  reads = 0;
  writes: [number, number, number, number][] = [];
  read(core: number, offset: number, size: 1 | 2 | 4) {
    this.reads++;
    expect([core, offset, size]).toEqual([3, 0x3c, 4]);
    return this.ready ? 0xabc : BLOCK;
  }
  write(core: number, offset: number, size: 1 | 2 | 4, value: number) {
    this.writes.push([core, offset, size, value]);
  }
}

function setup(words: number[]) {
  const memory = new Memory(siracusa);
  const dev = new FakeEventUnit();
  memory.mapDevice(0x10204000, 0x400, dev);
  const bytes = new Uint8Array(4 * (words.length + 1));
  const dv = new DataView(bytes.buffer);
  [...words, encode('ebreak')].forEach((w, k) => dv.setUint32(4 * k, w, true));
  memory.writeBytes(CODE, bytes);
  const core = new Core(memory, { hartId: 3 });
  core.reset(CODE);
  core.x[11] = EU_WAIT;
  return { core, dev };
}

describe('devices, sleep and wake', () => {
  for (const jit of [false, true]) {
    it(`p.elw sleeps until the device answers, then completes (${jit ? 'compiled blocks' : 'interpreter'})`, () => {
      const { core, dev } = setup([encode('p.elw', { rd: 10, rs1: 11, imm: 0 })]);
      core.jit = jit;
      expect(core.run(1000)).toBe('sleep');
      expect([core.pc, core.instret, core.sleeping]).toEqual([CODE, 0, true]);
      dev.ready = true;
      core.wake();
      expect(core.run(1000)).toBe('fault'); // the ebreak after it
      expect(core.x[10]).toBe(0xabc);
      expect(core.instret).toBe(1);
    });

    it(`a plain load inside a block sleeps precisely (${jit ? 'compiled blocks' : 'interpreter'})`, () => {
      const { core, dev } = setup([
        encode('addi', { rd: 5, rs1: 0, imm: 1 }),
        encode('addi', { rd: 6, rs1: 0, imm: 2 }),
        encode('lw', { rd: 10, rs1: 11, imm: 0 }),
        encode('addi', { rd: 7, rs1: 10, imm: 1 }),
      ]);
      core.jit = jit;
      expect(core.run(1000)).toBe('sleep');
      expect([core.pc, core.instret, core.x[5], core.x[6], core.x[7]]).toEqual([CODE + 8, 2, 1, 2, 0]);
      dev.ready = true;
      core.wake();
      core.run(1000);
      expect([core.x[10], core.x[7], core.instret]).toEqual([0xabc, 0xabd, 4]);
      expect(dev.reads).toBe(2);
    });
  }

  it('stores reach the device with the core id, offset, size and value', () => {
    const { core, dev } = setup([encode('sw', { rs1: 11, rs2: 12, imm: -0x3c + 8 }), encode('sb', { rs1: 11, rs2: 12, imm: -0x3c + 1 })]);
    core.x[12] = 0x12345678;
    core.run(1000);
    expect(dev.writes).toEqual([
      [3, 8, 4, 0x12345678],
      [3, 1, 1, 0x12345678],
    ]);
  });

  it('a misaligned device access is a misaligned-load fault', () => {
    const { core } = setup([encode('lw', { rd: 10, rs1: 11, imm: 2 })]);
    expect(core.run(1000)).toBe('fault');
    expect(core.fault?.cause).toMatch(/misaligned load at 0x1020403e/);
  });

  it('wfi retires and reports sleep', () => {
    const { core } = setup([encode('wfi'), encode('addi', { rd: 5, rs1: 0, imm: 1 })]);
    expect(core.run(1000)).toBe('sleep');
    expect([core.pc, core.instret]).toEqual([CODE + 4, 1]);
    core.wake();
    core.run(1000);
    expect(core.x[5]).toBe(1);
  });
});
