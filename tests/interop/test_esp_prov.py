"""Espressif's own provisioning client against our device: the esp_prov functions of PyPI's
esp-rainmaker-cli (rmaker_tools.rmaker_prov.prov.prov_util, its Transport_HTTP, Security0/1/2
and protobuf modules) drive the real device-sim over HTTP on loopback, as they drive an ESP-IDF
device's SoftAP. Nothing of ours is on the client side.

An import failure here is a collection error: the run fails, nothing is skipped."""

import http.client
import json
import os
import time

import pytest
from rmaker_tools.common import prov as messages
from rmaker_tools.common.security.srp6a import generate_salt_and_verifier
from rmaker_tools.rmaker_prov import proto
from rmaker_tools.rmaker_prov.prov import prov_util as esp_prov

from conftest import POP

HOME, HOME_PASS = "HomeWiFi", "correct horse"
# The two settings of an ESP-IDF security 2 device: the salt and verifier its firmware holds,
# made by the manufacturer from this username and password (esp_prov --sec2_gen_cred).
FACTORY_USER, FACTORY_PASS = "factory-admin", "Sec2-pass-0815"
# How often the status is asked before giving up; the simulated join takes well under a second.
STATUS_POLLS = 100


def sec2_credentials_file(tmp_path, username, password):
    salt, verifier = generate_salt_and_verifier(username, password, len_s=16)
    path = tmp_path / "sec2.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"salt": salt.hex(), "verifier": verifier.hex()}, f)
    return path


# (device-sim arguments, esp_prov's get_security arguments) per level; "sec2" is the
# salt/verifier device, "sec2-pop" the default username `wifiprov` with the PoP as password.
LEVELS = ["sec0", "sec1", "sec2", "sec2-pop"]


def start_level(start_sim, tmp_path, level, serial, *extra):
    if level == "sec0":
        return start_sim(serial, "--security", 0, *extra), dict(secver=0)
    if level == "sec1":
        return start_sim(serial, "--security", 1, *extra), dict(secver=1, pop=POP)
    if level == "sec2":
        creds = sec2_credentials_file(tmp_path, FACTORY_USER, FACTORY_PASS)
        sim = start_sim(serial, "--security", 2, "--sec2-credentials", creds, *extra)
        return sim, dict(secver=2, username=FACTORY_USER, password=FACTORY_PASS)
    sim = start_sim(serial, "--security", 2, *extra)
    return sim, dict(secver=2, username="wifiprov", password=POP)


def open_session(sim, sec_args):
    """What esp_prov does first: proto-ver, the security object, the handshake."""
    tp = esp_prov.get_transport("softap", sim.addr)
    info = json.loads(esp_prov.get_version(tp))["prov"]
    patch = esp_prov.get_sec_patch_ver(tp) if sec_args["secver"] == 2 else 0
    sec = esp_prov.get_security(sec_patch_ver=patch, **sec_args)
    assert esp_prov.establish_session(tp, sec) is True
    return tp, sec, info


def final_state(tp, sec):
    """esp_prov's get_wifi_config until the device stops saying 'connecting'."""
    states = []
    for _ in range(STATUS_POLLS):
        states.append(esp_prov.get_wifi_config(tp, sec))
        if states[-1] != "connecting":
            return states
        time.sleep(0.05)
    pytest.fail(f"still connecting after {STATUS_POLLS} status requests")


def raw_status(tp, sec):
    """RespGetStatus decoded with Espressif's protobuf module, for the fields esp_prov only prints."""
    body = tp.send_data("prov-config", messages.config_get_status_request(sec))
    msg = proto.wifi_config_pb2.WiFiConfigPayload()
    msg.ParseFromString(sec.decrypt_data(body.encode("latin-1")))
    assert msg.msg == proto.wifi_config_pb2.TypeRespGetStatus
    return msg.resp_get_status


def no_secrets_in(sim, *secrets):
    log = sim.log()
    for s in secrets:
        assert s not in log, "a secret reached device-sim's log"


@pytest.mark.parametrize("level", LEVELS)
def test_esp_prov_provisions_the_device(start_sim, tmp_path, level):
    sim, sec_args = start_level(start_sim, tmp_path, level, "SN-ESP-OK")
    tp, sec, info = open_session(sim, sec_args)
    assert info["ver"] == "v1.1"
    assert info["sec_ver"] == sec_args["secver"]
    assert "wifi_scan" in info["cap"]
    if sec_args["secver"] == 2:
        assert info["sec_patch_ver"] == 1

    aps = esp_prov.scan_wifi_APs("softap", tp, sec)
    assert [(a["ssid"], a["channel"], a["rssi"], a["auth"]) for a in aps] == [
        ("HomeWiFi", 6, -42, "WPA2_PSK"),
        ("CoffeeShop", 1, -67, "Open"),
        ("Neighbour", 11, -80, "WPA2_PSK"),
    ]
    assert esp_prov.send_wifi_config(tp, sec, HOME, HOME_PASS) is True
    assert esp_prov.apply_wifi_config(tp, sec) is True
    states = final_state(tp, sec)
    assert states[-1] == "connected", states
    assert set(states[:-1]) <= {"connecting"}
    status = raw_status(tp, sec)
    assert status.sta_state == proto.wifi_constants_pb2.Connected
    assert status.connected.ip4_addr == "192.168.1.100"
    assert status.connected.ssid == HOME.encode()
    no_secrets_in(sim, HOME_PASS, POP, FACTORY_PASS)


@pytest.mark.parametrize("level", LEVELS)
def test_a_wrong_passphrase_is_reported_as_auth_error_and_a_reset_lets_the_right_one_in(
    start_sim, tmp_path, level, capsys
):
    sim, sec_args = start_level(start_sim, tmp_path, level, "SN-ESP-BAD")
    tp, sec, _ = open_session(sim, sec_args)
    assert esp_prov.send_wifi_config(tp, sec, HOME, "not the passphrase") is True
    assert esp_prov.apply_wifi_config(tp, sec) is True
    capsys.readouterr()
    states = final_state(tp, sec)
    assert states[-1] == "failed", states
    # esp_prov prints fail_reason 0 (AuthError) in its own words.
    assert "Failure reason: Incorrect Password" in capsys.readouterr().out
    status = raw_status(tp, sec)
    assert status.sta_state == proto.wifi_constants_pb2.ConnectionFailed
    assert status.fail_reason == proto.wifi_constants_pb2.AuthError

    # What esp_rainmaker_prov's retry does: prov-ctrl reset, then new credentials.
    assert esp_prov.ctrl_reset(tp, sec) is True
    assert esp_prov.send_wifi_config(tp, sec, HOME, HOME_PASS) is True
    assert esp_prov.apply_wifi_config(tp, sec) is True
    assert final_state(tp, sec)[-1] == "connected"
    no_secrets_in(sim, "not the passphrase", HOME_PASS, POP, FACTORY_PASS)


@pytest.mark.parametrize("level", ["sec1", "sec2"])
def test_prov_ctrl_reprov_takes_a_provisioned_device_back_to_new_settings(start_sim, tmp_path, level):
    """esp_prov's ctrl_reprov (ESP-IDF's wifi_prov_mgr_reset_sm_state_for_reprovision): a device
    that joined one network goes back to provisioning in the same session and joins the next
    one it is given."""
    sim, sec_args = start_level(start_sim, tmp_path, level, "SN-ESP-REPROV")
    tp, sec, _ = open_session(sim, sec_args)
    assert esp_prov.send_wifi_config(tp, sec, HOME, HOME_PASS) is True
    assert esp_prov.apply_wifi_config(tp, sec) is True
    assert final_state(tp, sec)[-1] == "connected"
    assert raw_status(tp, sec).connected.ssid == HOME.encode()

    assert esp_prov.ctrl_reprov(tp, sec) is True
    # Back to provisioning: the station link is dropped and nothing is staged.
    assert raw_status(tp, sec).sta_state == proto.wifi_constants_pb2.Disconnected
    assert esp_prov.send_wifi_config(tp, sec, "CoffeeShop", "") is True
    assert esp_prov.apply_wifi_config(tp, sec) is True
    assert final_state(tp, sec)[-1] == "connected"
    status = raw_status(tp, sec)
    assert status.sta_state == proto.wifi_constants_pb2.Connected
    assert status.connected.ssid == b"CoffeeShop"
    no_secrets_in(sim, HOME_PASS, POP, FACTORY_PASS)


def test_an_unknown_network_is_reported_as_network_not_found(start_sim, tmp_path, capsys):
    sim, sec_args = start_level(start_sim, tmp_path, "sec2", "SN-ESP-NF")
    tp, sec, _ = open_session(sim, sec_args)
    assert esp_prov.send_wifi_config(tp, sec, "NoSuchNet", "whatever-1") is True
    assert esp_prov.apply_wifi_config(tp, sec) is True
    capsys.readouterr()
    assert final_state(tp, sec)[-1] == "failed"
    assert "Failure reason: Incorrect SSID" in capsys.readouterr().out
    assert raw_status(tp, sec).fail_reason == proto.wifi_constants_pb2.NetworkNotFound


def test_prov_ctrl_reset_is_refused_unless_a_join_failed(start_sim, tmp_path):
    """ESP-IDF's wifi_prov_mgr resets its state machine only after a failed attempt; before
    that CtrlReset answers an error status, which esp_prov raises."""
    sim, sec_args = start_level(start_sim, tmp_path, "sec1", "SN-ESP-CTRL")
    tp, sec, _ = open_session(sim, sec_args)
    with pytest.raises(RuntimeError, match="CtrlReset failed"):
        esp_prov.ctrl_reset(tp, sec)
    # The refusal changed nothing: the same session provisions.
    assert esp_prov.send_wifi_config(tp, sec, HOME, HOME_PASS) is True
    assert esp_prov.apply_wifi_config(tp, sec) is True
    assert final_state(tp, sec)[-1] == "connected"


def test_a_wrong_sec2_password_or_username_fails_the_handshake(start_sim, tmp_path):
    sim, _ = start_level(start_sim, tmp_path, "sec2", "SN-ESP-PW")
    for user, password in [(FACTORY_USER, "wrong password"), ("wifiprov", FACTORY_PASS)]:
        tp = esp_prov.get_transport("softap", sim.addr)
        sec = esp_prov.get_security(2, 1, user, password)
        with pytest.raises(RuntimeError):
            esp_prov.establish_session(tp, sec)
    # The right pair still works afterwards (two failures are below the lock-out).
    tp = esp_prov.get_transport("softap", sim.addr)
    sec = esp_prov.get_security(2, 1, FACTORY_USER, FACTORY_PASS)
    assert esp_prov.establish_session(tp, sec) is True


def test_a_full_scan_page_comes_in_one_request(start_sim, tmp_path):
    """esp_prov asks for every result at once (up to 100 over SoftAP); the device keeps the
    strongest 25 and answers them in one page, strongest first."""
    aps = [
        {"ssid": f"Net{i:02}", "passphrase": "pass-phrase", "channel": 1 + i % 11,
         "rssi": -30 - i, "auth": "wpa2"}
        for i in range(30)
    ]
    radio = tmp_path / "radio.json"
    radio.write_text(json.dumps({"access_points": aps}))
    sim, sec_args = start_level(start_sim, tmp_path, "sec1", "SN-ESP-SCAN", "--radio", radio)
    tp, sec, _ = open_session(sim, sec_args)
    found = esp_prov.scan_wifi_APs("softap", tp, sec)
    assert [a["ssid"] for a in found] == [f"Net{i:02}" for i in range(25)]
    assert [a["rssi"] for a in found] == [-30 - i for i in range(25)]


def http_post(addr, path, body, headers=None, method="POST"):
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request(method, path, body, {"Content-type": "application/x-www-form-urlencoded",
                                      "Accept": "text/plain", **(headers or {})})
    resp = conn.getresponse()
    out = resp.status, dict(resp.getheaders()), resp.read()
    conn.close()
    return out


def test_an_unknown_endpoint_is_answered_as_esp_http_server_does(start_sim, tmp_path):
    sim, sec_args = start_level(start_sim, tmp_path, "sec2", "SN-ESP-404")
    tp, sec, _ = open_session(sim, sec_args)
    # esp_prov's own transport: a custom endpoint the device does not have.
    with pytest.raises(RuntimeError, match="error code 404"):
        tp.send_data("cloud_user_assoc", "x")
    status, headers, body = http_post(sim.addr, "/no-such-endpoint", b"x")
    assert (status, body) == (404, b"Nothing matches the given URI")
    assert headers["Content-Type"] == "text/html"
    assert headers.get("Connection") == "close"
    status, headers, body = http_post(sim.addr, "/prov-session", None, method="GET")
    assert (status, body) == (405, b"Specified method is invalid for this resource")
    assert headers.get("Connection") == "close"
    # esp_http_server closes the socket after such an error; the session lives in the cookie,
    # so esp_prov's transport reconnects and carries on with it.
    assert esp_prov.send_wifi_config(tp, sec, HOME, HOME_PASS) is True


def test_the_session_cookie_as_protocomm_httpd_sets_it(start_sim, tmp_path):
    """`Set-Cookie: session=<n>` (that exact name: esp_prov compares it) on the first answer of
    a session and not on the ones that carry its cookie; every answer is text/html."""
    sim, _ = start_level(start_sim, tmp_path, "sec0", "SN-ESP-CK")
    status, headers, body = http_post(sim.addr, "/proto-ver", b"---")
    assert status == 200 and headers["Content-Type"] == "text/html"
    assert json.loads(body)["prov"]["sec_ver"] == 0

    sec = esp_prov.get_security(0)
    req = sec.security_session(None).encode("latin-1")
    status, headers, body = http_post(sim.addr, "/prov-session", req)
    assert status == 200 and headers["Content-Type"] == "text/html"
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("session=") and cookie[len("session="):].isdigit()
    sec.security_session(body.decode("latin-1"))

    scan = messages.scan_status_request(sec).encode("latin-1")
    status, headers, _ = http_post(sim.addr, "/prov-scan", scan, {"Cookie": cookie})
    assert status == 200 and "Set-Cookie" not in headers
