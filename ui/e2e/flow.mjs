// The wizard's pages as steps a person takes, shared by the GUI tests and the demo check.
// Each takes the WebDriver session (`Session` of webdriver.mjs) driving the app.

/** The simulator's default home network (device-sim --help). */
export const WIFI = { ssid: "HomeWiFi", passphrase: "correct horse" };

/** Sign up, confirm with the code `codeFor(email)` returns, sign in; ends on page 1. */
export async function signUpAndIn(app, email, password, codeFor) {
  await app.find('[data-page="signin"]');
  await app.click('[data-nav="signup"]');
  await app.type('input[name="email"]', email);
  await app.type('input[name="password"]', password);
  await app.type('input[name="password2"]', password);
  await app.click('[data-action="signup"]');
  await app.find('[data-page="confirm"]');
  await app.type('input[name="code"]', codeFor(email));
  await app.click('[data-action="confirm"]');
  await app.find('[data-page="signin"]');
  await app.type('input[name="password"]', password);
  await app.click('[data-action="signin"]');
  await app.find('[data-page="cert"]');
}

/** Page 1: the serial, checked with the service. */
export async function certPage(app, serial) {
  await app.find('[data-page="cert"]');
  await app.type('input[name="serial"]', serial);
  await app.click('[data-action="check-serial"]');
  await app.waitText('[data-role="cert-result"]', /registered/);
}

/** Page 2: scan from the device with its PoP, pick the home network, type a passphrase. */
export async function wifiPage(app, pop, passphrase) {
  await app.click('[data-page="cert"] [data-nav="next"]');
  await app.find('[data-page="wifi"]');
  await app.type('input[name="scan-pop"]', pop);
  await app.click('[data-action="scan"]');
  await app.click(`[data-network="${WIFI.ssid}"]`);
  await app.type('input[name="passphrase"]', passphrase);
}

/** Page 3: optionally another PoP, then "Provision the device". */
export async function connect(app, pop) {
  await app.click('[data-page="wifi"] [data-nav="next"]');
  await app.find('[data-page="connect"]');
  if (pop !== undefined) await app.type('input[name="pop"]', pop);
  await app.click('[data-action="provision"]');
}
