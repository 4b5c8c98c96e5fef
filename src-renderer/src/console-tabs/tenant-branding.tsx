import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type ChangeEvent, type SyntheticEvent } from 'react';
import { BASE_SIZE_PX, FONT_STACKS, type FontFamily, type TenantBranding as StoredBrand } from '../../../contracts/branding';
import { imageUrl } from '../../../src-portal/src/brand';
import { useApi } from '../api-context';
import { FormAlert } from '../components/form-alert';
import { TextField } from '../components/text-field';
import { describeError } from '../error-text';
import { clearingError } from '../forms';
import { fieldErrors } from '../tenants/field-errors';
import { type TabProps } from '../tenants/tenant-page';
import { brandRequest, COLOR_KEYS, draftOf, draftProblems, previewTokens, type BrandDraft, type ColorKey } from './brand-draft';
import { BrandPreview } from './brand-preview';
import { readLogo } from './logo-file';
import './console-tabs.css';

export const brandingKey = (slug: string) => ['tenants', 'branding', slug] as const;

const colorLabels: Record<ColorKey, string> = { primary: 'Primary color', secondary: 'Secondary color', accent: 'Accent color', background: 'Background color', text: 'Text color' };
const fontLabels: Record<FontFamily, string> = {
  system: 'System',
  humanist: 'Humanist sans',
  geometric: 'Geometric sans',
  'classic-serif': 'Classic serif',
  'modern-serif': 'Modern serif',
  monospace: 'Monospace',
};
const FIELDS = ['product_name', 'login_message', 'custom_domain', 'logo_svg', 'logo_png_base64', 'typography.font_family', 'typography.base_size_px', ...COLOR_KEYS.map((key) => `colors.${key}`)];

/** Branding: the allowlisted tokens, edited beside a live preview of the tenant's sign-in wall. */
export function TenantBranding({ tenant }: TabProps) {
  const api = useApi();
  const brand = useQuery({ queryKey: brandingKey(tenant.slug), queryFn: () => api.call('branding:get', { tenant: tenant.id }), enabled: tenant.state !== 'deleted' });
  if (tenant.state === 'deleted') return <p className="lead">The tenant is deleted: it has no brand any more.</p>;
  if (brand.isPending) {
    return (
      <p className="muted" role="status">
        Loading the brand…
      </p>
    );
  }
  if (brand.isError) return <FormAlert title="The brand could not be read" messages={[describeError(brand.error)]} onDismiss={() => void brand.refetch()} />;
  return <BrandEditor key={tenant.id} tenantId={tenant.id} slug={tenant.slug} stored={brand.data} />;
}

function BrandEditor({ tenantId, slug, stored }: { tenantId: string; slug: string; stored: StoredBrand }) {
  const api = useApi();
  const client = useQueryClient();
  const saved = useMemo(() => draftOf(stored), [stored]);
  const [draft, setDraft] = useState<BrandDraft>(saved);
  const [logoProblem, setLogoProblem] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () => api.call('branding:set', { tenant: tenantId, ...brandRequest(draft, stored) }),
    onSuccess: (updated) => client.setQueryData(brandingKey(slug), updated),
  });
  const problems = draftProblems(draft);
  const fromServer = fieldErrors(save.error, FIELDS);
  // A field's own refusal (checked here as it is typed) first, else what the control plane said about it.
  const errorAt = (path: string) => problems[path] ?? fromServer.byField[path];
  const edit = (change: (current: BrandDraft) => BrandDraft) => clearingError(save, (_: unknown) => setDraft(change));
  const tokens = useMemo(() => previewTokens(draft, saved), [draft, saved]);

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    if (Object.keys(problems).length > 0 || logoProblem !== null) return;
    save.mutate();
  };
  const pickLogo = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file === undefined) return;
    const read = await readLogo(file);
    if ('problem' in read) {
      setLogoProblem(read.problem);
      return;
    }
    setLogoProblem(null);
    edit((current) => ({ ...current, logo: read.logo }))(null);
  };
  const logoError = logoProblem ?? fromServer.byField.logo_svg ?? fromServer.byField.logo_png_base64;
  const logoThumb = draft.logo === null ? null : draft.logo.kind === 'svg' ? imageUrl(draft.logo.svg, null) : imageUrl(null, draft.logo.base64);

  return (
    <div className="tab-panel branding-layout">
      <form noValidate className="form-grid" aria-label="Branding" onSubmit={submit} aria-busy={save.isPending}>
        <h2>Brand</h2>
        <p className="muted form-lead">What the tenant&apos;s users see on its sign-in wall. Only these tokens: no free-form CSS, every value checked again by the control plane.</p>
        <TextField label="Product name" name="product_name" value={draft.product_name} maxLength={80} onChange={(value) => edit((current) => ({ ...current, product_name: value }))(value)} error={errorAt('product_name')} />
        <div className={logoError ? 'field field-invalid' : 'field'}>
          <label htmlFor="brand-logo">Logo (SVG or PNG)</label>
          <div className="logo-row">
            {logoThumb === null ? <span className="muted">No logo</span> : <img className="logo-thumb" src={logoThumb} alt="Current logo" />}
            <input id="brand-logo" type="file" accept=".svg,.png,image/svg+xml,image/png" aria-invalid={logoError ? true : undefined} aria-describedby={logoError ? 'brand-logo-error' : undefined} onChange={(event) => void pickLogo(event)} />
            {draft.logo === null ? null : (
              <button type="button" className="button" onClick={() => edit((current) => ({ ...current, logo: null }))(null)}>
                Remove logo
              </button>
            )}
          </div>
          {logoError ? (
            <p className="field-error" id="brand-logo-error">
              {logoError}
            </p>
          ) : null}
        </div>
        <div className={errorAt('login_message') ? 'field field-invalid' : 'field'}>
          <label htmlFor="brand-message">Login message</label>
          <textarea id="brand-message" rows={3} value={draft.login_message} onChange={(event) => edit((current) => ({ ...current, login_message: event.target.value }))(null)} aria-invalid={errorAt('login_message') ? true : undefined} />
          {errorAt('login_message') ? <p className="field-error">{errorAt('login_message')}</p> : <p className="field-hint">Plain text, shown under the product name. Optional.</p>}
        </div>
        {COLOR_KEYS.map((key) => (
          <div className="color-row" key={key}>
            <TextField label={colorLabels[key]} name={`colors.${key}`} value={draft.colors[key]} maxLength={7} onChange={(value) => edit((current) => ({ ...current, colors: { ...current.colors, [key]: value } }))(value)} error={errorAt(`colors.${key}`)} />
            <input
              className="color-swatch"
              type="color"
              aria-label={`${colorLabels[key]} picker`}
              value={problems[`colors.${key}`] === undefined ? draft.colors[key].toLowerCase() : tokens.colors[key]}
              onChange={(event) => edit((current) => ({ ...current, colors: { ...current.colors, [key]: event.target.value } }))(null)}
            />
          </div>
        ))}
        <div className="field">
          <label htmlFor="brand-font">Font family</label>
          <select id="brand-font" value={draft.font_family} onChange={(event) => edit((current) => ({ ...current, font_family: event.target.value as FontFamily }))(null)}>
            {(Object.keys(FONT_STACKS) as FontFamily[]).map((family) => (
              <option key={family} value={family}>
                {fontLabels[family]}
              </option>
            ))}
          </select>
        </div>
        <TextField
          label="Base text size (px)"
          name="typography.base_size_px"
          inputMode="numeric"
          maxLength={3}
          value={draft.base_size_px}
          hint={`${BASE_SIZE_PX.min} to ${BASE_SIZE_PX.max}.`}
          onChange={(value) => edit((current) => ({ ...current, base_size_px: value }))(value)}
          error={errorAt('typography.base_size_px')}
        />
        <TextField
          label="Custom domain"
          name="custom_domain"
          required={false}
          maxLength={253}
          value={draft.custom_domain}
          hint="Optional: a host name of the tenant's own that serves its portal (e.g. login.acme.example)."
          onChange={(value) => edit((current) => ({ ...current, custom_domain: value }))(value)}
          error={errorAt('custom_domain')}
        />
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={save.isPending}>
            Save brand
          </button>
          <button type="button" className="button" disabled={save.isPending} onClick={() => edit(() => saved)(null)}>
            Discard changes
          </button>
          {save.isSuccess ? (
            <span className="saved" role="status">
              Saved
            </span>
          ) : null}
        </div>
        {fromServer.general.length > 0 ? <FormAlert title="Brand not saved" messages={fromServer.general} /> : null}
      </form>
      <BrandPreview productName={draft.product_name} loginMessage={draft.login_message} logo={draft.logo} tokens={tokens} />
    </div>
  );
}
