import PDFDocument from 'pdfkit';
import { usageMeters } from '../../contracts/usage';
import type { DayRange, Meter } from '../storage/types';

export interface UsageReportInput {
  tenant: { id: string; slug: string; name: string; state: string };
  range: DayRange;
  /** The period's values: counters summed, gauges at their peak (what the export says). */
  values: Partial<Record<Meter, number>>;
  /** Results ingested on each day of the period, in order (0 on days without any). */
  dailyResults: { day: string; value: number }[];
  generatedAt: Date;
}

const MARGIN = 50;
const CHART = { width: 495, height: 180 };

const formatted = (value: number): string => value.toLocaleString('en-US');

/** Bars of daily results ingested, with the scale's top and the period's first and last day under them. */
function barChart(doc: PDFKit.PDFDocument, daily: UsageReportInput['dailyResults'], top: number): void {
  const max = Math.max(1, ...daily.map((entry) => entry.value));
  const left = MARGIN;
  const bottom = top + CHART.height;
  const slot = CHART.width / Math.max(1, daily.length);
  doc.fontSize(11).fillColor('#000').text('Results ingested per day (UTC)', left, top - 20);
  doc.moveTo(left, top).lineTo(left, bottom).lineTo(left + CHART.width, bottom).strokeColor('#888').lineWidth(0.5).stroke();
  daily.forEach((entry, index) => {
    const height = (entry.value / max) * (CHART.height - 4);
    if (height > 0) doc.rect(left + index * slot + slot * 0.15, bottom - height, Math.max(0.5, slot * 0.7), height).fill('#2f6fb3');
  });
  doc.fontSize(8).fillColor('#444');
  doc.text(`max ${formatted(max)} per day`, left + 4, top, { lineBreak: false });
  doc.text(daily[0]?.day ?? '', left, bottom + 4, { lineBreak: false });
  const last = daily.at(-1)?.day ?? '';
  doc.text(last, left + CHART.width - doc.widthOfString(last), bottom + 4, { lineBreak: false });
}

/**
 * A tenant's usage report for a period as a PDF: who, which period, each meter as the export counts
 * it, and a bar chart of results ingested per day. Small (a page), so it is built in memory.
 */
export function usageReportPdf(input: UsageReportInput): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Title: `Usage ${input.tenant.slug} ${input.range.fromDay} to ${input.range.toDay}`, Producer: 'Bulkhead', CreationDate: input.generatedAt } });
  const parts: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => parts.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(parts)));
    doc.on('error', reject);
  });
  doc.fontSize(18).text('Usage report');
  doc.moveDown(0.5).fontSize(11);
  doc.text(`Tenant: ${input.tenant.name} (${input.tenant.slug})${input.tenant.state === 'deleted' ? ', deleted' : ''}`);
  doc.text(`Tenant id: ${input.tenant.id}`);
  doc.text(`Period: ${input.range.fromDay} to ${input.range.toDay} (UTC, both days included)`);
  doc.text(`Generated: ${input.generatedAt.toISOString()}`);
  doc.moveDown();
  doc.fontSize(12).text('Meters');
  doc.fontSize(10);
  for (const { meter, kind, unit } of usageMeters) {
    const how = kind === 'counter' ? 'sum over the period' : 'peak in the period';
    doc.text(`${meter}: ${formatted(input.values[meter] ?? 0)} ${unit} (${kind}, ${how})`);
  }
  barChart(doc, input.dailyResults, doc.y + 40);
  doc.end();
  return finished;
}
