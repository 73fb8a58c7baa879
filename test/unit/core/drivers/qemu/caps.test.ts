/** What a QEMU build offers, from its own help: microvm or pc, 9p or a copy of the project. */
import { describe, expect, it } from 'vitest';
import { capsFrom } from '../../../../../src-main/core/drivers/qemu/caps';

const MACHINES = 'Supported machines are:\nmicrovm              microvm (i386)\npc                   Standard PC (i440FX + PIIX, 1996)\n';
const DEVICES = 'name "virtio-9p-device", bus virtio-bus\nname "virtio-9p-pci", bus PCI, alias "virtio-9p"\n';

describe('QEMU capabilities', () => {
  it('takes microvm and 9p where the build has them', () => {
    expect(capsFrom(MACHINES, DEVICES, {})).toEqual({ machine: 'microvm', share9p: true, notes: [] });
  });
  it('falls back to pc, and to copying the project, saying why', () => {
    const c = capsFrom('pc                   Standard PC\n', 'name "virtio-blk-pci", bus PCI\n', {});
    expect(c.machine).toBe('pc');
    expect(c.share9p).toBe(false);
    expect(c.notes.join('; ')).toMatch(/-M pc.*copied in/);
  });
  it('copies when asked to, though 9p is there', () => {
    const c = capsFrom(MACHINES, DEVICES, { BENCHTOP_QEMU_PROJECT: 'copy' });
    expect(c.share9p).toBe(false);
    expect(c.notes[0]).toMatch(/BENCHTOP_QEMU_PROJECT=copy/);
  });
});
