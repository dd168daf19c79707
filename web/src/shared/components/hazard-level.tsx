import type { Localized } from '../api/hazards';
import { useI18n } from '../i18n/i18n-context';

// The GB 18218-2018 major-hazard level (1–4, static master data from design
// quantities): its own neutral outlined badge with a Roman numeral and the
// level's name, never an alarm-priority colour or a risk early-warning colour
// (DOMAIN.md §8: four scales never mixed).

const NUMERAL: Readonly<Record<number, string>> = { 1: 'Ⅰ', 2: 'Ⅱ', 3: 'Ⅲ', 4: 'Ⅳ' };

export function HazardLevel({ level, name }: { level: number | null; name: Localized | null }) {
  const { t, lang } = useI18n();
  if (level === null) {
    return (
      <span className="hazard-level" data-testid="hazard-level" data-level="none">
        {t('hazard.level.none')}
      </span>
    );
  }
  return (
    <span className="hazard-level" data-testid="hazard-level" data-level={level} title={t('hazard.level.hint')}>
      <span aria-hidden="true">{NUMERAL[level] ?? level} </span>
      {t('hazard.level', { name: name?.[lang] ?? String(level) })}
    </span>
  );
}
