// When a task made from a PlanDefinition action is due (FHIR R4 PlanDefinition.action.timing[x], §12.18;
// Timing §2.24.0.18, Duration §2.24.0.13): the first occurrence, counted from the moment of $apply.
import type { Duration, PlanDefinitionAction, Timing } from '@medplum/fhirtypes';

const DAYS: Record<string, number> = { min: 1 / 1440, h: 1 / 24, d: 1, wk: 7, mo: 30, a: 365 };

function addUnits(from: Date, value: number, unit: string | undefined): Date | undefined {
  if (!unit || DAYS[unit] === undefined || !Number.isFinite(value)) return undefined;
  const out = new Date(from.getTime());
  // Calendar months and years when whole, so "every 3 months" from 15 January is 15 April.
  if ((unit === 'mo' || unit === 'a') && Number.isInteger(value)) out.setUTCMonth(out.getUTCMonth() + (unit === 'a' ? 12 * value : value));
  else out.setTime(out.getTime() + value * DAYS[unit] * 86_400_000);
  return out;
}

function afterDuration(from: Date, d: Duration | undefined): Date | undefined {
  return d?.value === undefined ? undefined : addUnits(from, d.value, d.code ?? d.unit);
}

function afterTiming(from: Date, t: Timing): Date | undefined {
  const r = t.repeat;
  if (!r) return t.event?.map((e) => new Date(e)).find((e) => e >= from);
  // A bounded series (e.g. three sessions a week for eight weeks) is due at its end; a recurring one at its first period.
  return afterDuration(from, r.boundsDuration) ?? (r.period !== undefined ? addUnits(from, r.period, r.periodUnit) : undefined);
}

/** The due date of an action's first occurrence, or undefined when its timing says nothing usable. */
export function dueDate(action: PlanDefinitionAction, now: Date): Date | undefined {
  if (action.timingDuration) return afterDuration(now, action.timingDuration);
  if (action.timingTiming) return afterTiming(now, action.timingTiming);
  if (action.timingDateTime) return new Date(action.timingDateTime);
  if (action.timingPeriod?.end) return new Date(action.timingPeriod.end);
  if (action.timingRange?.high) return afterDuration(now, action.timingRange.high as Duration);
  return undefined;
}
