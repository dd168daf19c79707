/** The scenarios, as `GET /api/sim/scenarios` lists them; docs/simulators.md describes each in full. */

export const SCENARIO_NAMES = ['leak-chlorine', 'overfill', 'sis-bypass', 'lpg-fire', 'sensor-fault', 'device-offline', 'alarm-flood', 'recover'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export const SCENARIO_TEXT: Record<ScenarioName, { description: string; target: string }> = {
  'leak-chlorine': {
    description: 'A tank leaks: its level falls by 0.15 %/s; over 20 s the detectors of its hazard source rise, downwind ones to 2.5 × HH, upwind ones to a quarter of HH; a level-2 reading starts the emergency scrubber.',
    target: 'a tank (equipment id, e.g. a.hs01.t101)',
  },
  overfill: {
    description: 'A tank fills at 0.5 %/s through H and HH; at HH its SIS trips, the inlet valve closes within 3 s and the level stops. With the SIS bypassed it fills to 100 %.',
    target: 'a tank (equipment id, e.g. b.hs04.t302)',
  },
  'sis-bypass': {
    description: "A tank's SIS is put in bypass: its bypass point reads 1 and a high-high level or pressure no longer trips it.",
    target: 'a tank with an SIS bypass point (e.g. a.hs01.t101)',
  },
  'lpg-fire': {
    description: "A fire at a tank: its temperature climbs by 70 °C × (1 − e^(−t/60 s)) and its pressure follows the vapour-pressure curve through H and HH; the SIS trips on pressure and the ESD valve closes.",
    target: 'a tank (equipment id, e.g. b.hs03.v201)',
  },
  'sensor-fault': {
    description: 'A transmitter freezes (same value and source time, status still Good) for 10 s, then reads bad: OPC UA BadSensorFailure, Modbus NaN for floats and 0x8000 for integers, the GDS fault bit set.',
    target: 'an analog point id (e.g. a.hs01.t102.level)',
  },
  'device-offline': {
    description: 'Devices stop answering: a Modbus unit sends nothing (the master times out), the OPC UA server drops its sessions and refuses connections. Without a target: b-gds and a-dcs.',
    target: 'device ids, comma-separated (e.g. b-gds)',
  },
  'alarm-flood': {
    description: 'Up to 40 analog points cross their H limit, one more every second (value H + 0.4 × (HH − H)), in a seeded order: an ISA-18.2 alarm flood within a minute.',
    target: 'no target',
  },
  recover: {
    description: 'Back to normal: every scenario ends, SIS trips and bypasses reset, levels return inside their normal band, faulted points and offline devices come back. Held values stay held.',
    target: 'no target',
  },
};
