#!/usr/bin/env python3
"""A stock ESP-IDF `wifi_prov_mgr` device over SoftAP HTTP, independent of our firmware core.

It plays the device role of Espressif's unified provisioning the way ESP-IDF's
`protocomm_httpd.c`, `security1.c`, `security2.c` and `wifi_prov_mgr` do, with the protobuf
modules and the SRP-6a group that Espressif ships in PyPI's `esp-rainmaker-cli`
(`rmaker_tools`), and `cryptography` for X25519 / AES. It serves `proto-ver`, `prov-session`,
`prov-scan` and `prov-config`, and nothing of ours: its `cap` list has no `iot_cred`, so it is
what most Wi-Fi devices in the field run.

Secrets come from the environment, never argv:
  ESPDEV_POP       proof of possession (sec1) / SRP password (sec2)
  ESPDEV_NETWORKS  JSON list of the access points around it:
                   [{"ssid": "...", "passphrase": "...", "channel": 6, "rssi": -40}]

It prints `listening 127.0.0.1:<port>` once ready, then one line per request (no secrets).
"""

import argparse
import hashlib
import http.server
import json
import os
import secrets
import struct
import sys
import threading

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def _load_espressif_modules():
    """Espressif's generated protobuf modules (`proto`) and SRP-6a helpers (`srp6a`)."""
    import rmaker_tools

    prov_dir = os.path.join(os.path.dirname(rmaker_tools.__file__), "rmaker_prov")
    if prov_dir not in sys.path:
        sys.path.insert(0, prov_dir)
    import proto  # noqa: E402  (rmaker_prov/proto: session, sec1, sec2, wifi_* pb2)
    from rmaker_tools.common.security import srp6a  # noqa: E402

    return proto, srp6a


proto, srp6a = _load_espressif_modules()
pb_session = proto.session_pb2
pb_sec1 = proto.sec1_pb2
pb_sec2 = proto.sec2_pb2
pb_const = proto.constants_pb2
pb_cfg = proto.wifi_config_pb2
pb_scan = proto.wifi_scan_pb2
pb_wconst = proto.wifi_constants_pb2

MAX_BODY = 4096


class HandshakeError(Exception):
    """A failed proof: protocomm answers with an HTTP error and drops the session."""


def _i2b(n):
    return srp6a.long_to_bytes(n)


def _b2i(b):
    return int.from_bytes(b, "big")


class Sec0:
    """No encryption (protocomm security0)."""

    established = False

    def handle(self, req):
        cmd = pb_session.SessionData()
        cmd.ParseFromString(req)
        resp = pb_session.SessionData()
        resp.sec_ver = pb_session.SecScheme0
        resp.sec0.msg = proto.sec0_pb2.S0_Session_Response
        resp.sec0.sr.status = pb_const.Success
        self.established = True
        return resp.SerializeToString()

    def encrypt(self, data):
        return data

    decrypt = encrypt


class Sec1:
    """Device side of protocomm security1 (security1.c): X25519, shared key XOR SHA-256(PoP),
    AES-256-CTR with the device random as the counter block, one keystream for both ways."""

    def __init__(self, pop):
        self.pop = pop
        self.state = 0
        self.established = False

    def handle(self, req):
        cmd = pb_session.SessionData()
        cmd.ParseFromString(req)
        if cmd.sec_ver != pb_session.SecScheme1:
            raise HandshakeError("wrong security scheme")
        resp = pb_session.SessionData()
        resp.sec_ver = pb_session.SecScheme1
        if cmd.sec1.msg == pb_sec1.Session_Command0 and self.state == 0:
            client_pub = bytes(cmd.sec1.sc0.client_pubkey)
            priv = X25519PrivateKey.generate()
            self.device_pub = priv.public_key().public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
            self.client_pub = client_pub
            shared = priv.exchange(X25519PublicKey.from_public_bytes(client_pub))
            if self.pop:
                digest = hashlib.sha256(self.pop).digest()
                shared = bytes(a ^ b for a, b in zip(shared, digest))
            random = secrets.token_bytes(16)
            self.stream = Cipher(algorithms.AES(shared), modes.CTR(random)).encryptor()
            resp.sec1.msg = pb_sec1.Session_Response0
            resp.sec1.sr0.status = pb_const.Success
            resp.sec1.sr0.device_pubkey = self.device_pub
            resp.sec1.sr0.device_random = random
            self.state = 1
            return resp.SerializeToString()
        if cmd.sec1.msg == pb_sec1.Session_Command1 and self.state == 1:
            check = self.stream.update(bytes(cmd.sec1.sc1.client_verify_data))
            if check != self.device_pub:
                raise HandshakeError("client proof mismatch (wrong PoP)")
            resp.sec1.msg = pb_sec1.Session_Response1
            resp.sec1.sr1.status = pb_const.Success
            resp.sec1.sr1.device_verify_data = self.stream.update(self.client_pub)
            self.state = 2
            self.established = True
            return resp.SerializeToString()
        raise HandshakeError("out of order")

    def encrypt(self, data):
        return self.stream.update(data)

    decrypt = encrypt


class Sec2:
    """Device side of protocomm security2 (security2.c): SRP-6a over the RFC 5054 3072-bit group
    with SHA-512, salt + verifier made from username + password as ESP-IDF's tool makes them,
    AES-256-GCM keyed with the first 32 bytes of K; patch version 1 counts the nonce."""

    def __init__(self, username, password, patch_ver):
        self.username = username
        self.patch_ver = patch_ver
        self.salt, verifier = srp6a.generate_salt_and_verifier(username, password, len_s=16)
        self.v = _b2i(verifier)
        self.N, self.g = srp6a.get_ng(srp6a.NG_3072)
        self.h = hashlib.sha512
        self.width = len(_i2b(self.N))
        self.k = srp6a.H(self.h, self.N, self.g, width=self.width)
        self.state = 0
        self.established = False

    def handle(self, req):
        cmd = pb_session.SessionData()
        cmd.ParseFromString(req)
        if cmd.sec_ver != pb_session.SecScheme2:
            raise HandshakeError("wrong security scheme")
        resp = pb_session.SessionData()
        resp.sec_ver = pb_session.SecScheme2
        N, g = self.N, self.g
        if cmd.sec2.msg == pb_sec2.S2Session_Command0 and self.state == 0:
            if bytes(cmd.sec2.sc0.client_username).decode() != self.username:
                raise HandshakeError("unknown user")
            self.A = _b2i(cmd.sec2.sc0.client_pubkey)
            if self.A % N == 0:
                raise HandshakeError("bad client key")
            self.b = _b2i(secrets.token_bytes(32))
            self.B = (self.k * self.v + pow(g, self.b, N)) % N
            resp.sec2.msg = pb_sec2.S2Session_Response0
            resp.sec2.sr0.status = pb_const.Success
            resp.sec2.sr0.device_pubkey = _i2b(self.B)
            resp.sec2.sr0.device_salt = self.salt
            self.state = 1
            return resp.SerializeToString()
        if cmd.sec2.msg == pb_sec2.S2Session_Command1 and self.state == 1:
            u = srp6a.H(self.h, self.A, self.B, width=self.width)
            S = pow(self.A * pow(self.v, u, N), self.b, N)
            K = self.h(_i2b(S)).digest()
            M = srp6a.calculate_M(self.h, N, g, self.username, _b2i(self.salt), self.A, self.B, K)
            if bytes(cmd.sec2.sc1.client_proof) != M:
                raise HandshakeError("client proof mismatch (wrong PoP)")
            self.aead = AESGCM(K[:32])
            self.nonce = bytearray(secrets.token_bytes(12))
            resp.sec2.msg = pb_sec2.S2Session_Response1
            resp.sec2.sr1.status = pb_const.Success
            resp.sec2.sr1.device_proof = srp6a.calculate_H_AMK(self.h, self.A, M, K)
            resp.sec2.sr1.device_nonce = bytes(self.nonce)
            self.state = 2
            self.established = True
            return resp.SerializeToString()
        raise HandshakeError("out of order")

    def _step(self):
        if self.patch_ver >= 1:
            (c,) = struct.unpack(">I", self.nonce[8:])
            self.nonce[8:] = struct.pack(">I", (c + 1) & 0xFFFFFFFF)

    def decrypt(self, data):
        out = self.aead.decrypt(bytes(self.nonce), data, None)
        self._step()
        return out

    def encrypt(self, data):
        out = self.aead.encrypt(bytes(self.nonce), data, None)
        self._step()
        return out


class WifiStation:
    """wifi_prov_mgr's station side: scan list, staged config, apply, status."""

    def __init__(self, networks):
        self.networks = networks
        self.staged = None
        self.state = pb_wconst.Disconnected
        self.fail_reason = None
        self.polls = 0

    def scan(self, cmd):
        resp = pb_scan.WiFiScanPayload()
        resp.status = pb_const.Success
        if cmd.msg == pb_scan.TypeCmdScanStart:
            resp.msg = pb_scan.TypeRespScanStart
            resp.resp_scan_start.SetInParent()
        elif cmd.msg == pb_scan.TypeCmdScanStatus:
            resp.msg = pb_scan.TypeRespScanStatus
            resp.resp_scan_status.scan_finished = True
            resp.resp_scan_status.result_count = len(self.networks)
        elif cmd.msg == pb_scan.TypeCmdScanResult:
            resp.msg = pb_scan.TypeRespScanResult
            start = cmd.cmd_scan_result.start_index
            count = cmd.cmd_scan_result.count
            if start + count > len(self.networks):
                resp.status = pb_const.InvalidArgument
            else:
                for i, n in enumerate(self.networks[start : start + count]):
                    e = resp.resp_scan_result.entries.add()
                    e.ssid = n["ssid"].encode()
                    e.channel = n.get("channel", 6)
                    e.rssi = n.get("rssi", -50)
                    e.bssid = bytes([0x24, 0x0A, 0xC4, 0, 0, start + i])
                    e.auth = pb_wconst.WPA2_PSK if n.get("passphrase") else pb_wconst.Open
        else:
            resp.status = pb_const.InvalidArgument
        return resp

    def config(self, cmd):
        resp = pb_cfg.WiFiConfigPayload()
        if cmd.msg == pb_cfg.TypeCmdSetConfig:
            resp.msg = pb_cfg.TypeRespSetConfig
            self.staged = (
                bytes(cmd.cmd_set_config.ssid).decode("utf-8", "replace"),
                bytes(cmd.cmd_set_config.passphrase).decode("utf-8", "replace"),
            )
            resp.resp_set_config.status = pb_const.Success
        elif cmd.msg == pb_cfg.TypeCmdApplyConfig:
            resp.msg = pb_cfg.TypeRespApplyConfig
            if self.staged is None:
                resp.resp_apply_config.status = pb_const.InvalidArgument
            else:
                self.state, self.fail_reason, self.polls = pb_wconst.Connecting, None, 0
                resp.resp_apply_config.status = pb_const.Success
        elif cmd.msg == pb_cfg.TypeCmdGetStatus:
            resp.msg = pb_cfg.TypeRespGetStatus
            self._advance()
            r = resp.resp_get_status
            r.status = pb_const.Success
            r.sta_state = self.state
            if self.state == pb_wconst.Connected:
                ssid = self.staged[0]
                r.connected.ip4_addr = "192.168.1.77"
                r.connected.ssid = ssid.encode()
                r.connected.channel = self._find(ssid).get("channel", 6)
                r.connected.auth_mode = pb_wconst.WPA2_PSK
                r.connected.bssid = bytes([0x24, 0x0A, 0xC4, 0, 0, 1])
            elif self.state == pb_wconst.ConnectionFailed:
                r.fail_reason = self.fail_reason
        else:
            resp.msg = pb_cfg.TypeRespGetStatus
            resp.resp_get_status.status = pb_const.InvalidArgument
        return resp

    def _find(self, ssid):
        return next((n for n in self.networks if n["ssid"] == ssid), None)

    def _advance(self):
        # The first poll after apply sees "connecting", as a real join takes a moment.
        if self.state != pb_wconst.Connecting:
            return
        self.polls += 1
        if self.polls < 2:
            return
        ssid, passphrase = self.staged
        net = self._find(ssid)
        if net is None:
            self.state, self.fail_reason = pb_wconst.ConnectionFailed, pb_wconst.NetworkNotFound
        elif net.get("passphrase", "") != passphrase:
            self.state, self.fail_reason = pb_wconst.ConnectionFailed, pb_wconst.AuthError
        else:
            self.state = pb_wconst.Connected


class Device:
    """protocomm with one session at a time, as protocomm_httpd keeps it."""

    def __init__(self, args, pop, networks):
        self.args = args
        self.pop = pop
        self.station = WifiStation(networks)
        self.lock = threading.Lock()
        self.session_id = None
        self.security = None

    def proto_ver(self):
        cap = ["wifi_scan"]
        if not self.pop:
            cap.append("no_pop")
        if self.args.sec == 0:
            cap.append("no_sec")
        prov = {"ver": "v1.1", "sec_ver": self.args.sec, "cap": cap}
        if self.args.sec == 2:
            prov["sec_patch_ver"] = self.args.sec_patch_ver
        return json.dumps({"prov": prov}).encode()

    def new_security(self):
        if self.args.sec == 0:
            return Sec0()
        if self.args.sec == 1:
            return Sec1(self.pop)
        return Sec2(self.args.username, self.pop.decode(), self.args.sec_patch_ver)

    def handle(self, endpoint, cookie, body):
        """Returns (http status, body, set-cookie value or None)."""
        with self.lock:
            if endpoint == "proto-ver":
                return 200, self.proto_ver(), None
            if endpoint == "prov-session":
                set_cookie = None
                if cookie is None or cookie != self.session_id or self.security.established:
                    # A new client (or a new handshake) replaces the old session.
                    self.session_id = secrets.randbelow(2**31)
                    self.security = self.new_security()
                    set_cookie = f"session={self.session_id}"
                try:
                    return 200, self.security.handle(body), set_cookie
                except HandshakeError as e:
                    log(f"prov-session refused: {e}")
                    self.session_id, self.security = None, None
                    return 500, b"", None
                except Exception as e:  # malformed protobuf
                    log(f"prov-session malformed: {type(e).__name__}")
                    return 400, b"", None
            if endpoint not in ("prov-scan", "prov-config"):
                return 404, b"", None
            if cookie is None or cookie != self.session_id or not self.security.established:
                return 400, b"", None
            plain = self.security.decrypt(body)
            if endpoint == "prov-scan":
                cmd = pb_scan.WiFiScanPayload()
                cmd.ParseFromString(plain)
                resp = self.station.scan(cmd)
            else:
                cmd = pb_cfg.WiFiConfigPayload()
                cmd.ParseFromString(plain)
                resp = self.station.config(cmd)
            return 200, self.security.encrypt(resp.SerializeToString()), None


def log(line):
    print(line, flush=True)


def make_handler(device):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            endpoint = self.path.lstrip("/")
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                self._send(400, b"", None)
                return
            body = self.rfile.read(length)
            cookie = None
            for part in (self.headers.get("Cookie") or "").split(";"):
                k, _, v = part.strip().partition("=")
                if k == "session" and v.isdigit():
                    cookie = int(v)
            status, out, set_cookie = device.handle(endpoint, cookie, body)
            log(f"{endpoint} {status}")
            self._send(status, out, set_cookie)

        def _send(self, status, body, set_cookie):
            self.send_response(status)
            # protocomm_httpd answers every endpoint as plain bytes.
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            if set_cookie:
                self.send_header("Set-Cookie", set_cookie)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--sec", type=int, choices=(0, 1, 2), default=2)
    ap.add_argument("--sec-patch-ver", type=int, default=1)
    ap.add_argument("--username", default="wifiprov")
    args = ap.parse_args()
    pop = os.environ.get("ESPDEV_POP", "").encode()
    networks = json.loads(os.environ.get("ESPDEV_NETWORKS", "[]"))
    device = Device(args, pop, networks)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(device))
    log(f"listening 127.0.0.1:{server.server_address[1]}")
    server.serve_forever()


if __name__ == "__main__":
    main()
