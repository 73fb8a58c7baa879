/**
 * Many host connections over the one stream to a guest agent. QEMU's
 * virtio-serial socket takes a single client at a time, yet a CLI exec, the
 * app's terminals and a copy may all want the guest at once: the VM's
 * supervisor holds the one stream and serves this mux on a Unix socket, each
 * client speaking the same protocol as if it were alone. Session ids are
 * renumbered on the way through; a client that goes away has its sessions
 * closed in the guest (nobody is left to read them, and the watchdog's
 * "owner died" rule holds for VMs by construction).
 */
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { encodeFrame, FrameDecoder, MAX_SESSIONS, SYNC, T, type Frame, GUEST_TYPES, HOST_TYPES } from './frames';

interface Client {
  socket: Socket;
  decoder: FrameDecoder;
  /** Client's session id → guest session id. */
  sessions: Map<number, number>;
  greeted: boolean;
}

export interface MuxEvents {
  /** The guest's hello arrived: clients can be served. */
  onReady?(hello: Frame): void;
  /** The stream to the guest ended or broke; every client was dropped. */
  onGuestLost?(why: string): void;
  /** The guest answered the mux's own PING (clients' pings are answered by the mux itself). */
  onPong?(payload: Buffer): void;
}

export class AgentMux {
  private readonly decoder = new FrameDecoder(GUEST_TYPES);
  private hello: Frame | null = null;
  private readonly clients = new Set<Client>();
  /** Guest session id → its client and the client's own id. */
  private readonly routes = new Map<number, { client: Client; id: number }>();
  private nextGuestId = 1;
  private lostWith: string | null = null;

  constructor(
    private readonly fromGuest: Readable,
    private readonly toGuest: Writable,
    private readonly events: MuxEvents = {},
  ) {
    fromGuest.on('data', (c: Buffer) => this.onGuestData(c));
    fromGuest.on('end', () => this.guestLost('the guest agent stream ended'));
    fromGuest.on('error', (e) => this.guestLost(`the guest agent stream failed: ${e.message}`));
    toGuest.on('error', (e) => this.guestLost(`the guest agent stream failed: ${e.message}`));
    toGuest.write(Buffer.concat([SYNC, encodeFrame(0, T.HELLO, Buffer.from('version=1\0'))]));
  }

  get ready(): boolean {
    return this.hello !== null;
  }

  /** Sends a frame to the guest on the connection's own behalf (SHUTDOWN). */
  sendToGuest(type: number, payload?: Buffer): void {
    if (!this.lostWith) this.toGuest.write(encodeFrame(0, type, payload));
  }

  addClient(socket: Socket): void {
    if (this.lostWith || !this.hello) {
      socket.destroy();
      return;
    }
    const client: Client = { socket, decoder: new FrameDecoder(HOST_TYPES), sessions: new Map(), greeted: false };
    this.clients.add(client);
    socket.on('data', (c: Buffer) => this.onClientData(client, c));
    socket.on('close', () => this.dropClient(client));
    socket.on('error', () => this.dropClient(client));
  }

  private onGuestData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.guestLost(`the guest agent spoke garbage: ${(e as Error).message}`);
      return;
    }
    for (const f of frames) {
      if (f.session === 0) {
        if (f.type === T.G_HELLO && !this.hello) {
          this.hello = f;
          this.events.onReady?.(f);
        } else if (f.type === T.PONG) this.events.onPong?.(f.payload);
        else if (f.type === T.ERROR) this.guestLost(`the guest agent dropped the connection: ${f.payload.toString('utf8')}`);
        continue;
      }
      const route = this.routes.get(f.session);
      if (!route) continue; // A session its client closed: the guest may still be finishing it.
      if (f.type === T.EXIT || f.type === T.ERROR) {
        this.routes.delete(f.session);
        route.client.sessions.delete(route.id);
      }
      route.client.socket.write(encodeFrame(route.id, f.type, f.payload));
    }
  }

  private onClientData(client: Client, chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = client.decoder.push(chunk);
    } catch (e) {
      this.refuse(client, (e as Error).message);
      return;
    }
    for (const f of frames) {
      if (!client.greeted) {
        if (f.type !== T.HELLO || f.session !== 0) return this.refuse(client, 'say hello first');
        client.greeted = true;
        client.socket.write(Buffer.concat([SYNC, encodeFrame(0, T.G_HELLO, (this.hello as Frame).payload)]));
        continue;
      }
      if (f.session === 0) {
        if (f.type === T.PING) client.socket.write(encodeFrame(0, T.PONG, f.payload));
        else if (f.type === T.SHUTDOWN) this.sendToGuest(T.SHUTDOWN);
        else return this.refuse(client, `frame type 0x${f.type.toString(16)} is not for session 0`);
        continue;
      }
      let guestId = client.sessions.get(f.session);
      if (f.type === T.EXEC) {
        if (guestId !== undefined) return this.refuse(client, `session ${f.session} is in use`);
        if (this.routes.size >= MAX_SESSIONS) {
          client.socket.write(encodeFrame(f.session, T.ERROR, Buffer.from(`the guest runs ${MAX_SESSIONS} processes already`)));
          continue;
        }
        guestId = this.allocate();
        client.sessions.set(f.session, guestId);
        this.routes.set(guestId, { client, id: f.session });
      }
      // A frame for a session that already ended is dropped: it raced the end.
      if (guestId === undefined) continue;
      if (f.type === T.CLOSE) {
        client.sessions.delete(f.session);
        this.routes.delete(guestId);
      }
      this.toGuest.write(encodeFrame(guestId, f.type, f.payload));
    }
  }

  private allocate(): number {
    while (this.routes.has(this.nextGuestId) || this.nextGuestId === 0) this.nextGuestId = (this.nextGuestId + 1) >>> 0;
    const id = this.nextGuestId;
    this.nextGuestId = (this.nextGuestId + 1) >>> 0;
    return id;
  }

  private refuse(client: Client, why: string): void {
    const error = encodeFrame(0, T.ERROR, Buffer.from(why));
    // A client not yet greeted still waits for SYNC before it reads any frame.
    client.socket.end(client.greeted ? error : Buffer.concat([SYNC, error]));
    this.dropClient(client);
  }

  private dropClient(client: Client): void {
    if (!this.clients.delete(client)) return;
    for (const guestId of client.sessions.values()) {
      this.routes.delete(guestId);
      if (!this.lostWith) this.toGuest.write(encodeFrame(guestId, T.CLOSE));
    }
    client.sessions.clear();
    client.socket.destroy();
  }

  private guestLost(why: string): void {
    if (this.lostWith) return;
    this.lostWith = why;
    for (const c of [...this.clients]) c.socket.destroy();
    this.clients.clear();
    this.routes.clear();
    this.events.onGuestLost?.(why);
  }
}
