// The interface strings, Chinese first. `zh` defines the keys; every other
// language must have exactly the same keys (a missing or extra key is a
// compile error). `{name}` marks a parameter; `t()` demands exactly the
// parameters a string declares.

const zh = {
  'app.title': '化工园区安全环保应急一体化平台',
  'app.footer.protocol': '消息协议 v{version}',
  'lang.switch.label': '界面语言',
  'clock.label': '本地时间',
  'health.title': '系统运行状态',
  'health.overall': '总体状态',
  'health.components': '组件',
  'health.status.ok': '正常',
  'health.status.degraded': '降级',
  'health.status.down': '故障',
  'health.connecting': '正在连接服务器…',
  'health.notLive': '非实时',
  'health.notLive.error': '无法获取状态：{error}',
  'health.notLive.stale': '超过 {seconds} 秒未收到更新',
  'health.lastKnown': '以下为最后已知状态（{time}），不代表当前情况',
  'health.lastUpdated': '最后更新：',
  'health.updatedAge': '（{age}）',
  'health.never': '尚无数据',
  'health.noComponents': '服务器未报告任何组件',
  'health.component.influxdb': 'InfluxDB 时序数据库',
  'health.component.mqtt': 'MQTT 消息代理',
  'health.component.alarms': '报警引擎',
  'health.component.gateways': '现场网关',
  'time.agoSeconds': '{n} 秒前',
  'time.agoMinutes': '{n} 分钟前',
  'time.agoHours': '{n} 小时前',
  'api.error.timeout': '请求超时',
  'api.error.network': '网络不可达',
  'api.error.http': '服务器错误（HTTP {status}）',
  'api.error.invalid-response': '服务器应答格式无效',
  'panel.error.title': '此面板出错，其他面板不受影响',
  'panel.error.retry': '重试',
} as const;

type Zh = typeof zh;
export type MessageKey = keyof Zh;

const en: { readonly [K in MessageKey]: string } = {
  'app.title': 'Chemical Park Safety, Environment & Emergency Platform',
  'app.footer.protocol': 'Message protocol v{version}',
  'lang.switch.label': 'Interface language',
  'clock.label': 'Local time',
  'health.title': 'System health',
  'health.overall': 'Overall',
  'health.components': 'Components',
  'health.status.ok': 'OK',
  'health.status.degraded': 'Degraded',
  'health.status.down': 'Down',
  'health.connecting': 'Connecting to the server…',
  'health.notLive': 'NOT LIVE',
  'health.notLive.error': 'Cannot get status: {error}',
  'health.notLive.stale': 'No update for more than {seconds} s',
  'health.lastKnown': 'Last known state from {time}, not the current state',
  'health.lastUpdated': 'Last updated: ',
  'health.updatedAge': ' ({age})',
  'health.never': 'No data yet',
  'health.noComponents': 'The server reported no components',
  'health.component.influxdb': 'InfluxDB time-series database',
  'health.component.mqtt': 'MQTT broker',
  'health.component.alarms': 'Alarm engine',
  'health.component.gateways': 'Field gateways',
  'time.agoSeconds': '{n} s ago',
  'time.agoMinutes': '{n} min ago',
  'time.agoHours': '{n} h ago',
  'api.error.timeout': 'request timed out',
  'api.error.network': 'network unreachable',
  'api.error.http': 'server error (HTTP {status})',
  'api.error.invalid-response': 'invalid server response',
  'panel.error.title': 'This panel failed; the other panels are not affected',
  'panel.error.retry': 'Retry',
};

export const LANGS = ['zh', 'en'] as const;
export type Lang = (typeof LANGS)[number];

export const MESSAGES: { readonly [L in Lang]: { readonly [K in MessageKey]: string } } = { zh, en };

/** The parameter names in a message template, e.g. 'n' for '{n} 秒前'. */
type ParamNames<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | ParamNames<Rest> : never;

export type MessageParams<K extends MessageKey> = Record<ParamNames<Zh[K]>, string | number>;

/** `t(key)` for a message without parameters, `t(key, { … })` with them. */
export type TranslateArgs<K extends MessageKey> = [ParamNames<Zh[K]>] extends [never] ? [] : [params: MessageParams<K>];

export function translate<K extends MessageKey>(lang: Lang, key: K, ...args: TranslateArgs<K>): string {
  const template = MESSAGES[lang][key];
  const params: Partial<Record<string, string | number>> = args[0] ?? {};
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}
