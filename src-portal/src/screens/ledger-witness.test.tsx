import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignedTreeHeadView, WitnessView } from '../../../contracts/audit';
import { WitnessVerdict } from './ledger-witness';

afterEach(cleanup);

const LEDGER = '00000000-0000-4000-8000-000000000001';
const head = (tree_size: number, digit: string): SignedTreeHeadView => ({ ledger: LEDGER, tree_size, root_hash: digit.repeat(64), timestamp: Date.parse('2026-12-06T03:00:00.000Z'), key_id: 'e'.repeat(64), signature: `${'A'.repeat(86)}==` });
const keptAt = '2026-12-06T02:00:00.000Z';

describe("the portal's witness verdict", () => {
  it('is a quiet line while the ledger extends the kept head', () => {
    render(<WitnessVerdict view={{ ledger: LEDGER, state: 'witnessed', kept: { head: head(4, 'a'), kept_at: keptAt }, seen: head(6, 'b'), message: null, recorded: null, record_error: null }} />);
    expect(screen.getByLabelText('Ledger witness').textContent).toBe(`Witnessed: tree 6, consistent with the head kept at ${new Date(keptAt).toLocaleString()} (checked in this browser).`);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('is a loud banner with both heads when history was rewritten, saying where it was reported', () => {
    const view: WitnessView = {
      ledger: LEDGER,
      state: 'rewritten',
      kept: { head: head(6, 'b'), kept_at: keptAt },
      seen: head(6, 'c'),
      message: `History rewritten: ledger ${LEDGER} at 6 entries does not extend the head seen at 6 entries (the consistency proof fails).`,
      recorded: { ledger: LEDGER, seq: 7 },
      record_error: null,
    };
    render(<WitnessVerdict view={view} />);
    const alarm = screen.getByRole('alert');
    expect(within(alarm).getByText('History rewritten')).toBeTruthy();
    expect(within(alarm).getByLabelText(/^Kept head/).textContent).toContain('b'.repeat(64));
    expect(within(alarm).getByLabelText('New head').textContent).toContain('c'.repeat(64));
    expect(screen.getByTestId('witness-recorded').textContent).toBe('Reported to the control plane: WITNESS_FAILED, entry 7 of your ledger.');
  });

  it('says when the report could not be made', () => {
    render(<WitnessVerdict view={{ ledger: LEDGER, state: 'rewritten', kept: { head: head(6, 'b'), kept_at: keptAt }, seen: head(3, 'c'), message: null, recorded: null, record_error: 'forbidden: no' }} />);
    expect(screen.getByTestId('witness-recorded').textContent).toBe('Not reported to the control plane: forbidden: no.');
  });
});
