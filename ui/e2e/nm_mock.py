"""python-dbusmock's NetworkManager for the SoftAP GUI test, on the bus the app is told is the
system bus (DBUS_SYSTEM_BUS_ADDRESS). Commands, each printing one JSON line:

  setup SOFTAP   a Wi-Fi device on the home network "HomeNet", the device's open SoftAP in range
  ap DEV SSID    one more open access point (another device's SoftAP) in range of DEV
  active DEV     the connection active on DEV: {"path": ..., "id": ...} or {"path": null}
"""

import json
import sys

import dbus

NM = "org.freedesktop.NetworkManager"
NM_PATH = "/org/freedesktop/NetworkManager"
MOCK = "org.freedesktop.DBus.Mock"
PROPS = "org.freedesktop.DBus.Properties"


def bus():
    return dbus.SystemBus()


def add_ap(mock, dev, name, ssid, bssid, frequency, strength, rsn_flags):
    """An access point in range of DEV (mode infrastructure, 54 Mb/s); rsn_flags 0 is open."""
    return mock.AddAccessPoint(dev, name, ssid, bssid, dbus.UInt32(2), dbus.UInt32(frequency),
                               dbus.UInt32(54000), dbus.Byte(strength), dbus.UInt32(rsn_flags))


def setup(softap):
    mock = dbus.Interface(bus().get_object(NM, NM_PATH), MOCK)
    dev = mock.AddWiFiDevice("wlan0", "wlan0", dbus.UInt32(100))
    home_ap = add_ap(mock, dev, "home", "HomeNet", "00:11:22:33:44:55", 2437, 80, 0x100)
    add_ap(mock, dev, "prov", softap, "66:11:22:33:44:55", 2412, 90, 0)
    home = mock.AddWiFiConnection(dev, "homeconn", "HomeNet", "wpa-psk")
    mock.AddActiveConnection([dev], home, home_ap, "homeac", dbus.UInt32(2))
    print(json.dumps({"device": str(dev), "home": str(home)}))


def ap(dev, ssid):
    mock = dbus.Interface(bus().get_object(NM, NM_PATH), MOCK)
    path = add_ap(mock, dev, ssid.lower(), ssid, "66:11:22:33:44:66", 2412, 85, 0)
    print(json.dumps({"path": str(path)}))


def active(dev):
    b = bus()
    ac = b.get_object(NM, dev).Get(NM + ".Device", "ActiveConnection", dbus_interface=PROPS)
    if str(ac) == "/":
        print(json.dumps({"path": None}))
        return
    conn = b.get_object(NM, ac).Get(NM + ".Connection.Active", "Connection", dbus_interface=PROPS)
    ident = b.get_object(NM, ac).Get(NM + ".Connection.Active", "Id", dbus_interface=PROPS)
    print(json.dumps({"path": str(conn), "id": str(ident)}))


if __name__ == "__main__":
    {"setup": setup, "ap": ap, "active": active}[sys.argv[1]](*sys.argv[2:])
