import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

/**
 * MQTT 3.1.1 spoken byte by byte, for what MQTT.js will not send: topics with
 * invalid UTF-8, wildcards or control characters in a PUBLISH, a PUBLISH sent
 * before the CONNACK. A broker may answer such a packet by closing the
 * connection, so every call uses a connection of its own and reports what
 * came back instead of throwing.
 */

/** An MQTT packet: type byte, remaining length (variable-length integer), body. */
export function mqttPacket(type: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from([type, ...len]), body]);
}

/** A length-prefixed MQTT string of exactly these bytes (no UTF-8 check: that is the point). */
export function mqttBytes(b: Buffer): Buffer {
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

export const mqttString = (s: string): Buffer => mqttBytes(Buffer.from(s, 'utf8'));

/** CONNECT, protocol level 4, clean session, keepalive 30 s, optional user name and password. */
export function connectPacket(clientId: string, login?: { username: string; password?: string }): Buffer {
  const flags = 0x02 | (login ? 0x80 : 0) | (login?.password !== undefined ? 0x40 : 0);
  const parts = [mqttString('MQTT'), Buffer.from([4, flags, 0, 30]), mqttString(clientId)];
  if (login) parts.push(mqttString(login.username));
  if (login?.password !== undefined) parts.push(mqttString(login.password));
  return mqttPacket(0x10, Buffer.concat(parts));
}

/** PUBLISH of raw topic bytes; QoS 1 with packet id 1, or QoS 0. */
export function publishPacket(topic: Buffer, payload: Buffer, qos: 0 | 1 = 1): Buffer {
  return mqttPacket(qos === 1 ? 0x32 : 0x30, Buffer.concat([mqttBytes(topic), ...(qos === 1 ? [Buffer.from([0, 1])] : []), payload]));
}

export interface RawTarget {
  port: number;
  /** TLS options (ca, cert, key …); plain TCP without them. */
  tls?: ConnectionOptions;
}

function open(target: RawTarget): Socket {
  return target.tls ? tlsConnect({ host: '127.0.0.1', port: target.port, servername: 'localhost', ...target.tls }) : netConnect(target.port, '127.0.0.1');
}

export interface RawPublishResult {
  /** CONNACK return code, undefined if none came. */
  connack: number | undefined;
  /** The broker acknowledged the PUBLISH (PUBACK for packet id 1). */
  puback: boolean;
  /** The socket error, if the connection ended with one (a TLS alert, a reset). */
  error?: string;
}

/**
 * Connects, waits for the CONNACK, sends one QoS 1 PUBLISH and waits for its
 * PUBACK or for the broker to close the connection, whichever comes first;
 * then disconnects. Nothing is timed: both outcomes are events.
 */
export function rawPublish(target: RawTarget, clientId: string, topic: Buffer, payload: Buffer, login?: { username: string; password?: string }): Promise<RawPublishResult> {
  return new Promise((resolve) => {
    const socket = open(target);
    let received = Buffer.alloc(0);
    let connack: number | undefined;
    let puback = false;
    let error: string | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve({ connack, puback, ...(error !== undefined ? { error } : {}) });
    };
    socket.once(target.tls ? 'secureConnect' : 'connect', () => socket.write(connectPacket(clientId, login)));
    socket.on('data', (d: Buffer) => {
      received = Buffer.concat([received, d]);
      // Every packet the broker sends here is 4 bytes long (CONNACK, PUBACK).
      while (received.length >= 4) {
        const [type, , b2, b3] = received;
        received = received.subarray(4);
        if (type === 0x20) {
          connack = b3;
          if (b3 === 0) socket.write(publishPacket(topic, payload, 1));
          else socket.end();
        } else if (type === 0x40 && b2 === 0 && b3 === 1) {
          puback = true;
          socket.end(mqttPacket(0xe0, Buffer.alloc(0)));
        }
      }
    });
    socket.on('error', (err) => (error = err.message));
    socket.on('close', finish);
  });
}

/**
 * Sends CONNECT and, without waiting for the answer, a QoS 0 PUBLISH: what a
 * careless or hostile client would do. Resolves once the broker has closed
 * the connection, with the CONNACK return code if one came.
 */
export function connectAndPublishAtOnce(target: RawTarget, clientId: string, topic: string, payload: string, login?: { username: string; password?: string }): Promise<RawPublishResult> {
  return new Promise((resolve) => {
    const socket = open(target);
    let received = Buffer.alloc(0);
    let error: string | undefined;
    socket.once(target.tls ? 'secureConnect' : 'connect', () => socket.write(Buffer.concat([connectPacket(clientId, login), publishPacket(Buffer.from(topic, 'utf8'), Buffer.from(payload, 'utf8'), 0)])));
    socket.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
    socket.on('error', (err) => (error = err.message));
    socket.on('close', () => resolve({ connack: received[0] === 0x20 ? received[3] : undefined, puback: false, ...(error !== undefined ? { error } : {}) }));
  });
}
