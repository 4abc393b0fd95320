// PROVISIONAL hand-written stand-in until the generator runs; replaced by the generated file.
import { invoke as TAURI_INVOKE, Channel as TAURI_CHANNEL } from "@tauri-apps/api/core";

export type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };
async function typedError<T, E>(p: Promise<T>): Promise<Result<T, E>> {
  try {
    return { status: "ok", data: await p };
  } catch (e) {
    if (e instanceof Error) throw e;
    return { status: "error", error: e as E };
  }
}

export const commands = {
  loadSettings: () => typedError<Settings, AppError>(TAURI_INVOKE("load_settings")),
  saveSettings: (settings: Settings) => typedError<null, AppError>(TAURI_INVOKE("save_settings", { settings })),
  getBackend: () => typedError<BackendView, AppError>(TAURI_INVOKE("get_backend")),
  setBackend: (input: BackendInput) => typedError<BackendView, AppError>(TAURI_INVOKE("set_backend", { input })),
  parseStackOutputs: (json: string) => typedError<BackendView, AppError>(TAURI_INVOKE("parse_stack_outputs", { json })),
  whoami: () => typedError<string | null, AppError>(TAURI_INVOKE("whoami")),
  notices: () => typedError<string[], AppError>(TAURI_INVOKE("notices")),
  signUp: (email: string, password: string) => typedError<SignUpNext, AppError>(TAURI_INVOKE("sign_up", { email, password })),
  confirmSignUp: (email: string, code: string) => typedError<null, AppError>(TAURI_INVOKE("confirm_sign_up", { email, code })),
  signIn: (email: string, password: string) => typedError<string, AppError>(TAURI_INVOKE("sign_in", { email, password })),
  forgotPassword: (email: string) => typedError<null, AppError>(TAURI_INVOKE("forgot_password", { email })),
  resetPassword: (email: string, code: string, newPassword: string) => typedError<null, AppError>(TAURI_INVOKE("reset_password", { email, code, newPassword })),
  signOut: () => typedError<null, AppError>(TAURI_INVOKE("sign_out")),
  checkSerial: (serial: string) => typedError<SerialCheck, AppError>(TAURI_INVOKE("check_serial", { serial })),
  scanNetworks: (device: DeviceTarget) => typedError<Network[], AppError>(TAURI_INVOKE("scan_networks", { device })),
  interruptedRun: () => typedError<InterruptedRun | null, AppError>(TAURI_INVOKE("interrupted_run")),
  resumeRun: (onEvent: TAURI_CHANNEL<ProgressEvent>) => typedError<Provisioned, AppError>(TAURI_INVOKE("resume_run", { onEvent })),
  provision: (request: ProvisionRequest, onEvent: TAURI_CHANNEL<ProgressEvent>) => typedError<Provisioned, AppError>(TAURI_INVOKE("provision", { request, onEvent })),
};

export type ErrorCode = "invalid_input" | "not_configured" | "not_signed_in" | "bad_credentials" | "user_not_confirmed" | "user_exists" | "bad_code" | "weak_password" | "session_expired" | "forbidden" | "not_found" | "server" | "unreachable" | "wrong_pop" | "insecure_device" | "protocol" | "wifi_auth_failed" | "wifi_not_found" | "device_offline" | "link" | "storage" | "cancelled" | "settings" | "internal";
export type AppError = { code: ErrorCode; message: string };
export type DeviceLinkSetting = { kind: "soft_ap" } | { kind: "direct"; address: string };
export type WizardState = { serial: string | null; cert_mode: string | null; ssid: string | null; softap_name: string | null; page: string | null };
export type Settings = { device_link: DeviceLinkSetting; wizard: WizardState };
export type BackendView = { kind: "unset" } | { kind: "self_hosted"; url: string; ca_path: string | null } | { kind: "aws"; region: string; user_pool_id: string; client_id: string; api_url: string; has_client_secret: boolean };
export type BackendInput = { kind: "self_hosted"; url: string; ca_pem: string | null } | { kind: "aws"; region: string; user_pool_id: string; client_id: string; api_url: string; client_secret: string | null };
export type SignUpNext = "confirm_code" | "done";
export type CertMode = "device_csr" | "cloud_key";
export type CertView = { thing_name: string; certificate_id: string; expires_at: string | null; fingerprint_sha256: string };
export type SerialCheck = { serial: string; certificate_id: string | null; status: string | null; last_seen: string | null };
export type DeviceTarget = { softap: string; pop: string };
export type Network = { ssid: string; rssi: number; channel: number; security: string; secured: boolean };
export type ProvisionRequest = { serial: string; cert_mode: CertMode; ssid: string; passphrase: string; softap: string; pop: string };
export type StepId = "join_device" | "secure_session" | "certificate" | "send_credentials" | "apply" | "device_joined_wifi" | "host_restored" | "device_online";
export type StepState = "running" | "done" | "failed";
export type ProgressEvent = { kind: "step"; step: StepId; state: StepState; message: string; error: AppError | null } | { kind: "window"; seconds_left: number } | { kind: "certificate"; cert: CertView };
export type Provisioned = { serial: string; cert: CertView; last_seen: string | null };
export type InterruptedRun = { serial: string; softap: string; ssid: string | null };
