/**
 * The team's RS256 signing keys and their rotation.
 *
 * Cloudflare Access signs with one current key and keeps the previous one in the certs
 * response for a while after a rotation, so tokens issued just before it still verify.
 * Here a rotation makes a new current key and leaves every older key published until it is
 * retired explicitly: tests decide when "a while" is over, no timers involved.
 */
import { createHash, generateKeyPair, type JsonWebKey, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import { selfSignedCertificate } from "./cert.ts";

const generateRsa = promisify(generateKeyPair);

export interface SigningKey {
  /** 64 hex digits, like Cloudflare's kids: the SHA-256 of the public key (SPKI DER). */
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** One entry of `keys` in the certs response. */
export interface PublicJwk {
  kid: string;
  kty: "RSA";
  alg: "RS256";
  use: "sig";
  e: string;
  n: string;
}

/** The body of `GET /cdn-cgi/access/certs`, shaped like Cloudflare's. */
export interface CertsResponse {
  keys: PublicJwk[];
  /** The current key's certificate. */
  public_cert: { kid: string; cert: string };
  public_certs: { kid: string; cert: string }[];
}

/** A fresh 2048-bit RSA key. Also used for keys deliberately *not* in the set (bad signatures). */
export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateRsa("rsa", { modulusLength: 2048, publicExponent: 0x10001 });
  const kid = createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex");
  return { kid, privateKey, publicKey };
}

interface PublishedKey extends SigningKey {
  readonly jwk: PublicJwk;
  readonly cert: string;
}

export class KeySet {
  /** Newest first; index 0 is the current signing key. */
  #keys: PublishedKey[];
  readonly #certName: string;

  private constructor(first: PublishedKey, certName: string) {
    this.#keys = [first];
    this.#certName = certName;
  }

  /** `certName` goes into the certificates' subject (the team domain's host). */
  static async create(certName: string): Promise<KeySet> {
    return new KeySet(publish(await generateSigningKey(), certName), certName);
  }

  get current(): SigningKey {
    return this.#keys[0]!;
  }

  /** Kids in the certs response, current first. */
  get kids(): string[] {
    return this.#keys.map((key) => key.kid);
  }

  /** Public key for a published kid, or undefined. */
  find(kid: string): SigningKey | undefined {
    return this.#keys.find((key) => key.kid === kid);
  }

  /** Adds a new current key; the previous ones stay published until retired. */
  async rotate(): Promise<{ kid: string; previousKid: string }> {
    const previousKid = this.current.kid;
    const next = publish(await generateSigningKey(), this.#certName);
    this.#keys = [next, ...this.#keys];
    return { kid: next.kid, previousKid };
  }

  /** Stops publishing a non-current key: tokens signed with it no longer verify. */
  retire(kid: string): void {
    if (kid === this.current.kid) throw new Error("cannot retire the current signing key: rotate first");
    if (!this.find(kid)) throw new Error(`no published key with kid ${kid}`);
    this.#keys = this.#keys.filter((key) => key.kid !== kid);
  }

  certs(): CertsResponse {
    const current = this.#keys[0]!;
    return {
      keys: this.#keys.map((key) => key.jwk),
      public_cert: { kid: current.kid, cert: current.cert },
      public_certs: this.#keys.map((key) => ({ kid: key.kid, cert: key.cert })),
    };
  }
}

function publish(key: SigningKey, certName: string): PublishedKey {
  const { e, n } = key.publicKey.export({ format: "jwk" }) as JsonWebKey;
  return {
    ...key,
    jwk: { kid: key.kid, kty: "RSA", alg: "RS256", use: "sig", e: e!, n: n! },
    cert: selfSignedCertificate(key.privateKey, key.publicKey, certName),
  };
}
