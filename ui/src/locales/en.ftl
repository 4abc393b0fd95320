# English: the catalog every other language follows (src/i18n.test.ts checks them).

## Errors: what to do for each code (src/errors.ts).
fix-invalid-input = Correct the highlighted value.
fix-not-configured = Choose the provisioning service in Settings.
fix-not-signed-in = Sign in again.
fix-bad-credentials = Check the e-mail and password, or use “Forgot password”.
fix-user-not-confirmed = Enter your confirmation code on the “I have a confirmation code” page.
fix-user-exists = Sign in with this e-mail, or use “Forgot password”.
fix-bad-code = Type the code again, exactly as given.
fix-weak-password = Choose a longer password with letters and digits.
fix-session-expired = Sign in again; your answers are kept.
fix-owned-by-other = This device belongs to another account: ask its owner to release it.
fix-serial-not-registered = Check the serial number on the device label; the service does not know this one.
fix-not-found = Check the serial number on the device label.
fix-server = Try again in a moment; if it persists, check the service's logs.
fix-unreachable = Check the service address in Settings and your network connection.
what-wrong-pop = The device refused the proof-of-possession code.
fix-wrong-pop = Check the code printed on the device, then retry.
fix-insecure-device = This device offers weaker security than expected, so nothing was sent to it. Check that it is your device, or update its firmware.
fix-wifi-only-device = This device runs Espressif's stock provisioning: it takes Wi-Fi settings only, no certificate.
fix-protocol = The device answered unexpectedly: restart it and retry.
fix-wifi-auth-failed = Check the Wi-Fi passphrase (letters are case-sensitive).
fix-wifi-not-found = Check the network name and that the device is in range of the router.
fix-device-offline = The device joined Wi-Fi but did not reach the service: check the router's internet access.
fix-link = Check that the device is powered and in provisioning mode (its network PROV_xxxx is visible).
fix-storage = The app could not save its data; check the disk and the keyring.
fix-cancelled = Start again when ready.
fix-too-many-attempts = Wait a few minutes, then try again.
fix-settings = Check the settings and save them again.
fix-internal = Restart the app; if it happens again, report it with what you were doing.
app-failed = The app failed: { $reason }
app-failed-unknown = The app failed for an unknown reason.
details = Details

## Fields (src/dom.ts).
secret-show = Show
secret-hide = Hide

## Sign-in, sign-up, confirm, forgot password (src/pages/auth.ts).
field-email = E-mail
field-password = Password
field-new-password = New password
field-repeat-password = Repeat the password
field-confirmation-code = Confirmation code
field-reset-code = Code from the e-mail
password-hint = At least 8 characters with a letter and a digit.
passwords-differ = The two passwords differ.
signin-title = Sign in
signin-lead = Use your account on the provisioning service.
signin-submit = Sign in
signin-busy = Signing in…
signin-create = Create an account
signin-have-code = I have a confirmation code
signin-forgot = Forgot password
not-confirmed-self-hosted = Your account is not confirmed yet. This service sends no e-mail: its administrator reads your code with “provisiond user code { $email }”.
not-confirmed-email = Your account is not confirmed yet: enter the code from the e-mail.
signup-title = Create an account
signup-submit = Create account
signup-busy = Creating…
signup-done-self-hosted = Account created. This service sends no e-mail: its administrator reads your confirmation code with “provisiond user code { $email }”.
signup-done-email = We sent a confirmation code to { $email }.
signup-done-no-code = Account created: sign in.
back = Back
confirm-title = Confirm your account
confirm-submit = Confirm
confirm-busy = Confirming…
confirm-done = Account confirmed: sign in.
forgot-title = Forgot password
forgot-send = Send a reset code
forgot-busy = Sending…
forgot-sent = If { $email } has an account, a reset code is on its way.
forgot-submit = Set the new password
forgot-saving = Saving…
forgot-done = Password changed: sign in with the new one.

## Page 1 and page 3: the sentences a newcomer misread (issue 17).
cert-check = Check the serial
cert-check-again = Check again for a new certificate
cert-ok-device-key = { $serial } is registered and yours to provision. Its certificate is made on page 3, while the device is connected: the device makes its own key and the service signs the device's request.
cert-ok-cloud-key = { $serial } is registered and yours to provision. Its key and certificate are made on page 3, while the device is connected, and sent to it.
cert-ok-replacing-device-key = { $serial } is registered and yours to provision. Its current certificate { $certificate } will be revoked and replaced. The new one is made on page 3, while the device is connected: the device makes its own key and the service signs the device's request.
cert-ok-replacing-cloud-key = { $serial } is registered and yours to provision. Its current certificate { $certificate } will be revoked and replaced. The new key and certificate are made on page 3, while the device is connected, and sent to it.
connect-lead-direct = Put { $serial } in provisioning mode, then press the button. This computer talks to it directly at { $address }, without changing networks.
connect-lead-softap = Put { $serial } in provisioning mode, then press the button. This computer joins the device's network for a moment and comes back by itself.
the-device = the device

## Settings: language and theme.
settings-language = Language
settings-theme = Theme
choice-system = As the system
language-en = English
language-zh-CN = 简体中文 (Simplified Chinese)
theme-light = Light
theme-dark = Dark
