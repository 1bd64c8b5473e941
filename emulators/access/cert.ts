/**
 * A minimal self-signed X.509 certificate for an RSA key, so the certs response can carry
 * `public_cert` / `public_certs` as Cloudflare's does. node:crypto parses certificates but
 * cannot create them, and pulling in a PKI library for one fixed structure is not worth it:
 * the DER below is the smallest valid v3 certificate (no extensions).
 */
import { randomBytes, sign, type KeyObject } from "node:crypto";

const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const NULL = 0x05;
const OBJECT_IDENTIFIER = 0x06;
const UTF8_STRING = 0x0c;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const EXPLICIT_0 = 0xa0;

const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
const COMMON_NAME = "2.5.4.3";

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split(".").map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const groups: number[] = [];
    for (let value = arc; ; value = Math.floor(value / 128)) {
      groups.unshift((value % 128) | (groups.length ? 0x80 : 0));
      if (value < 128) break;
    }
    bytes.push(...groups);
  }
  return tlv(OBJECT_IDENTIFIER, Buffer.from(bytes));
}

/** DER INTEGERs are signed: a leading byte with the high bit set needs a 0x00 in front. */
function unsignedInteger(bytes: Buffer): Buffer {
  return tlv(INTEGER, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): Buffer {
  const iso = `${date.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`; // YYYYMMDDHHMMSSZ
  return date.getUTCFullYear() < 2050 ? tlv(UTC_TIME, Buffer.from(iso.slice(2))) : tlv(GENERALIZED_TIME, Buffer.from(iso));
}

function name(commonName: string): Buffer {
  return tlv(SEQUENCE, tlv(SET, tlv(SEQUENCE, oid(COMMON_NAME), tlv(UTF8_STRING, Buffer.from(commonName)))));
}

/** PEM of a self-signed certificate for the key pair, valid from a day ago for a year. */
export function selfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, commonName: string, now = new Date()): string {
  const algorithm = tlv(SEQUENCE, oid(SHA256_WITH_RSA), tlv(NULL));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive, per RFC 5280 §4.1.2.2
  const day = 24 * 60 * 60 * 1000;
  const tbs = tlv(
    SEQUENCE,
    tlv(EXPLICIT_0, tlv(INTEGER, Buffer.from([2]))), // v3
    unsignedInteger(serial),
    algorithm,
    name(commonName),
    tlv(SEQUENCE, time(new Date(now.getTime() - day)), time(new Date(now.getTime() + 365 * day))),
    name(commonName),
    publicKey.export({ type: "spki", format: "der" }),
  );
  const signature = sign("sha256", tbs, privateKey);
  const der = tlv(SEQUENCE, tbs, algorithm, tlv(BIT_STRING, Buffer.from([0]), signature));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}
