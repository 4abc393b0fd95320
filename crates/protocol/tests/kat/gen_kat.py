#!/usr/bin/env python3
"""Independent known-answer values for tests/kat.rs.

Computes, with the `cryptography` package and plain Python integers, what Espressif's esp_prov
(tools/esp_prov/security/security1.py, security2.py, srp6a.py) and ESP-IDF (security1.c,
security2.c) compute for fixed randomness. Run: python3 gen_kat.py ; paste the output into
kat.rs. Nothing here is shared with the Rust implementation.
"""
import hashlib
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

RAW = dict(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)


def out(name, value, note=False):
    # Intermediate values (not observable through the crate's API) are printed as comments.
    prefix = '// ' if note else ''
    print(f'{prefix}const {name}: &str = "{value.hex()}";')


def i2b(n):  # big-endian without leading zeros (esp_prov's long_to_bytes)
    return n.to_bytes((n.bit_length() + 7) // 8, 'big') if n else b'\x00'


# ---------------------------------------------------------------- security 1
POP1 = b'abcd1234'
client_sk = bytes(range(1, 33))
device_sk = bytes(range(101, 133))
device_random = bytes(range(200, 216))

csk = X25519PrivateKey.from_private_bytes(client_sk)
dsk = X25519PrivateKey.from_private_bytes(device_sk)
client_pub = csk.public_key().public_bytes(**RAW)
device_pub = dsk.public_key().public_bytes(**RAW)
shared = csk.exchange(X25519PublicKey.from_public_bytes(device_pub))
assert shared == dsk.exchange(X25519PublicKey.from_public_bytes(client_pub))
key = bytes(a ^ b for a, b in zip(shared, hashlib.sha256(POP1).digest()))
ctr = Cipher(algorithms.AES(key), modes.CTR(device_random)).encryptor()
client_verify = ctr.update(device_pub)       # SessionCmd1.client_verify_data
device_verify = ctr.update(client_pub)       # SessionResp1.device_verify_data
req1 = ctr.update(b'hello device')           # first request after the handshake
resp1 = ctr.update(b'hello client')          # its response (same keystream)

print('// security 1')
out('S1_CLIENT_PUB', client_pub)
out('S1_DEVICE_PUB', device_pub)
out('S1_KEY', key, note=True)
out('S1_CLIENT_VERIFY', client_verify)
out('S1_DEVICE_VERIFY', device_verify)
out('S1_REQ', req1)
out('S1_RESP', resp1)

# ---------------------------------------------------------------- security 2
N = int(
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E'
    '3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF'
    '5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D3'
    '9A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08'
    'CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF69558171839'
    '95497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DB'
    'EF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA'
    '06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB31'
    '43DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF', 16)
g = 5
L = 384


def H(*parts):
    h = hashlib.sha512()
    for p in parts:
        h.update(p)
    return h.digest()


def pad(n):
    return n.to_bytes(L, 'big')


USER = b'wifiprov'
POP2 = b'abcd1234'
salt = bytes(range(0x11, 0x21))               # 16 bytes, first byte non-zero
a_bytes = bytes([0x80 | 0x21]) + bytes(range(0x22, 0x41))  # top bit set as esp_prov does
b_bytes = bytes([0x80 | 0x51]) + bytes(range(0x52, 0x71))
nonce8 = bytes(range(0xA1, 0xA9))

x = int.from_bytes(H(salt, H(USER + b':' + POP2)), 'big')
v = pow(g, x, N)
k = int.from_bytes(H(i2b(N), pad(g)), 'big')
a = int.from_bytes(a_bytes, 'big')
b = int.from_bytes(b_bytes, 'big')
A = pow(g, a, N)
B = (k * v + pow(g, b, N)) % N
assert len(i2b(A)) == L and len(i2b(B)) == L, 'pick other fixed secrets'
u = int.from_bytes(H(pad(A), pad(B)), 'big')
S_client = pow((B - k * v) % N, a + u * x, N)
S_device = pow(A * pow(v, u, N), b, N)
assert S_client == S_device
K = H(i2b(S_client))
hn_xor_hg = bytes(p ^ q for p, q in zip(H(i2b(N)), H(pad(g))))
M1 = H(hn_xor_hg, H(USER), salt, i2b(A), i2b(B), K)
M2 = H(i2b(A), M1, K)

nonce = bytearray(nonce8 + struct.pack('>I', 1))
gcm = AESGCM(K[:32])


def step():  # sec_patch_ver 1: counter in bytes 8..12 after every encrypt and decrypt
    c = struct.unpack('>I', nonce[8:])[0] + 1
    nonce[8:] = struct.pack('>I', c)


req2 = gcm.encrypt(bytes(nonce), b'hello device', None); step()
resp2 = gcm.encrypt(bytes(nonce), b'hello client', None); step()
req3 = gcm.encrypt(bytes(nonce), b'second request', None); step()

print('// security 2')
out('S2_SALT', salt)
out('S2_VERIFIER', i2b(v))
out('S2_A_SECRET', a_bytes)
out('S2_B_SECRET', b_bytes)
out('S2_NONCE8', nonce8)
out('S2_A', i2b(A))
out('S2_B', i2b(B))
out('S2_K', K, note=True)
out('S2_M1', M1)
out('S2_M2', M2)
out('S2_REQ', req2)
out('S2_RESP', resp2)
out('S2_REQ2', req3)
