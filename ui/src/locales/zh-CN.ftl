# 简体中文：与 en.ftl 的条目一一对应（src/i18n.test.ts 检查）。

## 错误：每个错误代码的解决办法（src/errors.ts）。
fix-invalid-input = 请更正标出的值。
fix-not-configured = 请在“设置”中选择配网服务。
fix-not-signed-in = 请重新登录。
fix-bad-credentials = 请检查电子邮箱和密码，或使用“忘记密码”。
fix-user-not-confirmed = 请在“我有确认码”页面输入确认码。
fix-user-exists = 请用这个电子邮箱登录，或使用“忘记密码”。
fix-bad-code = 请按原样重新输入确认码。
fix-weak-password = 请选择更长的、包含字母和数字的密码。
fix-session-expired = 请重新登录；已填写的内容会保留。
fix-owned-by-other = 此设备属于另一个账户：请让它的所有者解除绑定。
fix-serial-not-registered = 请核对设备标签上的序列号；服务中没有这个序列号。
fix-not-found = 请核对设备标签上的序列号。
fix-server = 请稍后重试；如果问题持续，请查看服务的日志。
fix-unreachable = 请检查“设置”中的服务地址和网络连接。
what-wrong-pop = 设备拒绝了所有权证明码（PoP）。
fix-wrong-pop = 请核对设备上印的代码，然后重试。
fix-insecure-device = 此设备提供的安全级别低于预期，因此没有向它发送任何内容。请确认这是你的设备，或更新它的固件。
fix-wifi-only-device = 此设备运行乐鑫的标准配网固件：只接受 Wi-Fi 设置，不接受证书。
fix-protocol = 设备的应答不符合预期：请重启设备后重试。
fix-wifi-auth-failed = 请检查 Wi-Fi 密码（区分大小写）。
fix-wifi-not-found = 请检查网络名称，并确认设备在路由器的覆盖范围内。
fix-device-offline = 设备已连上 Wi-Fi，但没有连到服务：请检查路由器能否上网。
fix-link = 请确认设备已通电并处于配网模式（能看到它的网络 PROV_xxxx）。
fix-storage = 应用无法保存数据；请检查磁盘和密钥环。
fix-cancelled = 准备好后请重新开始。
fix-too-many-attempts = 请等几分钟后再试。
fix-settings = 请检查设置并重新保存。
fix-internal = 请重启应用；如果再次出现，请报告当时的操作。
app-failed = 应用出错：{ $reason }
app-failed-unknown = 应用因未知原因出错。
details = 详细信息

## 输入框（src/dom.ts）。
secret-show = 显示
secret-hide = 隐藏

## 登录、注册、确认、忘记密码（src/pages/auth.ts）。
field-email = 电子邮箱
field-password = 密码
field-new-password = 新密码
field-repeat-password = 再次输入密码
field-confirmation-code = 确认码
field-reset-code = 邮件中的代码
password-hint = 至少 8 个字符，包含字母和数字。
passwords-differ = 两次输入的密码不一致。
signin-title = 登录
signin-lead = 使用你在配网服务上的账户。
signin-submit = 登录
signin-busy = 正在登录…
signin-create = 创建账户
signin-have-code = 我有确认码
signin-forgot = 忘记密码
not-confirmed-self-hosted = 你的账户尚未确认。此服务不发送电子邮件：它的管理员用“provisiond user code { $email }”查看你的确认码。
not-confirmed-email = 你的账户尚未确认：请输入邮件中的确认码。
signup-title = 创建账户
signup-submit = 创建账户
signup-busy = 正在创建…
signup-done-self-hosted = 账户已创建。此服务不发送电子邮件：它的管理员用“provisiond user code { $email }”查看你的确认码。
signup-done-email = 确认码已发送到 { $email }。
signup-done-no-code = 账户已创建：请登录。
back = 返回
confirm-title = 确认你的账户
confirm-submit = 确认
confirm-busy = 正在确认…
confirm-done = 账户已确认：请登录。
forgot-title = 忘记密码
forgot-send = 发送重置码
forgot-busy = 正在发送…
forgot-sent = 如果 { $email } 有账户，重置码正在发送中。
forgot-submit = 设置新密码
forgot-saving = 正在保存…
forgot-done = 密码已更改：请用新密码登录。

## 第 1 页和第 3 页：新用户读错的句子（issue 17）。
cert-check = 检查序列号
cert-check-again = 重新检查以获取新证书
cert-ok-device-key = { $serial } 已注册，可以由你配网。它的证书在第 3 页连接设备时生成：设备自己生成密钥，服务为设备的请求签名。
cert-ok-cloud-key = { $serial } 已注册，可以由你配网。它的密钥和证书在第 3 页连接设备时生成并发送给设备。
cert-ok-replacing-device-key = { $serial } 已注册，可以由你配网。它当前的证书 { $certificate } 将被吊销并替换。新证书在第 3 页连接设备时生成：设备自己生成密钥，服务为设备的请求签名。
cert-ok-replacing-cloud-key = { $serial } 已注册，可以由你配网。它当前的证书 { $certificate } 将被吊销并替换。新的密钥和证书在第 3 页连接设备时生成并发送给设备。
connect-lead-direct = 让 { $serial } 进入配网模式，然后按下按钮。这台电脑直接通过 { $address } 与它通信，不切换网络。
connect-lead-softap = 让 { $serial } 进入配网模式，然后按下按钮。这台电脑会短暂加入设备的网络，然后自动回到原来的网络。
the-device = 设备

## 设置：语言和主题。
settings-language = 语言
settings-theme = 主题
choice-system = 跟随系统
language-en = English（英语）
language-zh-CN = 简体中文
theme-light = 浅色
theme-dark = 深色
