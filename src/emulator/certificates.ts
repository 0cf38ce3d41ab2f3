/**
 * The emulator's HTTPS certificates: a certificate authority made for this run, and server
 * certificates it signs for the loopback names. The CA's private key stays in this process's
 * memory (only its certificate is written out, for the user to trust), and the CA may sign names
 * under `localhost` and the loopback addresses only (name constraints), so trusting it lets no
 * one impersonate any other site even if its certificate outlives the run.
 *
 * Built with node:crypto (EC P-256 keys, ECDSA SHA-256 signatures) and the RFC 5280 schemas of
 * @peculiar/asn1-x509, which only encode the DER.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { AsnConvert, OctetString } from '@peculiar/asn1-schema'
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  KeyUsage,
  KeyUsageFlags,
  Name,
  NameConstraints,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_nameConstraints,
  id_ce_subjectAltName,
  id_kp_serverAuth,
} from '@peculiar/asn1-x509'

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2'
const COMMON_NAME = '2.5.4.3'
const DAY_MS = 24 * 60 * 60 * 1000
/** Long enough for any emulator run; short enough to stay under the 398 days browsers accept. */
const VALID_DAYS = 30

/** The names the default server certificate covers; a `*.localhost` name gets its own (see `forName`). */
const LOOPBACK_NAMES = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] }

interface PemPair {
  cert: string
  key: string
}

export interface EmulatorCertificates {
  /** The CA certificate (PEM) a client trusts, e.g. through NODE_EXTRA_CA_CERTS. */
  ca: string
  /** The server certificate and key for 127.0.0.1, ::1 and localhost. */
  server: PemPair
  /** A new server certificate for one `*.localhost` name (a Preview origin). */
  forName(hostname: string): PemPair
}

/** A CA and the loopback server certificate, new for each call. */
export function createCertificates(): EmulatorCertificates {
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const caName = name(`unplugin-workers-version emulator CA ${randomBytes(4).toString('hex')}`)
  const ca = certificate({
    subject: caName,
    issuer: caName,
    publicKey: caKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      extension(
        id_ce_basicConstraints,
        true,
        new BasicConstraints({ cA: true, pathLenConstraint: 0 }),
      ),
      extension(
        id_ce_keyUsage,
        true,
        new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign),
      ),
      extension(
        id_ce_nameConstraints,
        true,
        new NameConstraints({ permittedSubtrees: loopbackSubtrees() }),
      ),
    ],
  })
  // One key for every server certificate: they all stand for this one local server.
  const serverKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const key = serverKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  const issue = (dns: string[], ip: string[]): PemPair => ({
    key,
    cert: certificate({
      subject: name(dns[0] ?? ip[0] ?? 'localhost'),
      issuer: caName,
      publicKey: serverKeys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
        extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
        extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_serverAuth])),
        extension(
          id_ce_subjectAltName,
          false,
          new SubjectAlternativeName([
            ...dns.map((d) => new GeneralName({ dNSName: d })),
            ...ip.map((a) => new GeneralName({ iPAddress: a })),
          ]),
        ),
      ],
    }),
  })
  return {
    ca,
    server: issue(LOOPBACK_NAMES.dns, LOOPBACK_NAMES.ip),
    forName: (hostname) => issue([hostname], []),
  }
}

/** `localhost` permits it and every name under it; the two addresses are whole (/32, /128). */
function loopbackSubtrees(): GeneralSubtrees {
  const ipv4 = Buffer.from([127, 0, 0, 1, 255, 255, 255, 255])
  const ipv6 = Buffer.concat([Buffer.alloc(15), Buffer.from([1]), Buffer.alloc(16, 0xff)])
  // GeneralName's iPAddress takes the address alone; a subtree's is address and mask, DER as they are.
  const raw = (bytes: Buffer) => AsnConvert.parse(withTag(0x87, bytes), GeneralName)
  return new GeneralSubtrees([
    new GeneralSubtree({ base: new GeneralName({ dNSName: 'localhost' }) }),
    new GeneralSubtree({ base: raw(ipv4) }),
    new GeneralSubtree({ base: raw(ipv6) }),
  ])
}

/** A DER element of a short (under 128 bytes) value: `[tag][length][value]`. */
function withTag(tag: number, value: Buffer): ArrayBuffer {
  const der = Buffer.concat([Buffer.from([tag, value.length]), value])
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.length)
}

function name(commonName: string): Name {
  return new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({
        type: COMMON_NAME,
        value: new AttributeValue({ utf8String: commonName }),
      }),
    ]),
  ])
}

function extension(id: string, critical: boolean, value: object): Extension {
  return new Extension({
    extnID: id,
    critical,
    extnValue: new OctetString(AsnConvert.serialize(value)),
  })
}

function certificate(options: {
  subject: Name
  issuer: Name
  publicKey: KeyObject
  signingKey: KeyObject
  extensions: Extension[]
}): string {
  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 })
  const now = Date.now()
  const serial = randomBytes(16)
  // A positive INTEGER in minimal DER: top bit clear, first byte not zero (OpenSSL refuses a padded one).
  serial[0] = (serial[0]! & 0x7f) | 0x40
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(serial),
    signature: algorithm,
    issuer: options.issuer,
    // An hour back: a client whose clock is a little behind still accepts it.
    validity: new Validity({
      notBefore: new Date(now - 60 * 60 * 1000),
      notAfter: new Date(now + VALID_DAYS * DAY_MS),
    }),
    subject: options.subject,
    subjectPublicKeyInfo: AsnConvert.parse(
      options.publicKey.export({ type: 'spki', format: 'der' }),
      SubjectPublicKeyInfo,
    ),
    extensions: new Extensions(options.extensions),
  })
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs))
  // node:crypto's ECDSA signatures are DER (r, s): the form X.509 carries in its BIT STRING.
  const signature = sign('sha256', tbsDer, options.signingKey)
  const der = Buffer.from(
    AsnConvert.serialize(
      new Certificate({
        tbsCertificate: tbs,
        signatureAlgorithm: algorithm,
        signatureValue: toArrayBuffer(signature),
      }),
    ),
  )
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer
}
