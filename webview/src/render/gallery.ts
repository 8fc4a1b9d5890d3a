/**
 * Gallery: per attack run (a tab each), the first successful examples as clean / adversarial / amplified
 * perturbation with the predictions. Images of the panel's own run open in an editor on activation.
 */
import type { AttacksSection } from '../../../src/engine/jobs/attackJob';
import type { GalleryItem } from '../../../src/engine/attacks/gallery';
import { fixed, sig } from '../format';
import { className, classNames, imageUrl, missingImageText, sideTitle, type RenderContext, type SectionEntry, type Side } from './context';

export function renderGallery(entries: SectionEntry<AttacksSection>[], ctx: RenderContext): Node[] {
  const { h } = ctx;
  const runs = entries.flatMap(({ side, section }) => section.runs.filter((r) => r.gallery.length > 0).map((run) => ({ side, run })));
  const gallery = h('div', { class: 'gallery', 'data-testid': 'gallery' });
  if (runs.length === 0) {
    gallery.appendChild(h('p', { class: 'muted' }, 'No gallery images in this run (no successful adversarial example was saved).'));
    return [gallery];
  }
  const tabs = h('vscode-tabs', { 'aria-label': 'Gallery by attack' });
  runs.forEach(({ side, run }, i) => {
    tabs.appendChild(h('vscode-tab-header', { slot: 'header', id: `gallery-tab-${i}` }, sideTitle(ctx, side, run.label)));
    tabs.appendChild(
      h(
        'vscode-tab-panel',
        { 'aria-labelledby': `gallery-tab-${i}` },
        h('div', { class: 'gallery-grid', 'data-attack': run.label }, ...run.gallery.map((item) => galleryItem(ctx, side, item))),
      ),
    );
  });
  gallery.appendChild(tabs);
  return [gallery];
}

function galleryItem(ctx: RenderContext, side: Side, item: GalleryItem): HTMLElement {
  const { h } = ctx;
  const names = classNames(side);
  const truth = className(names, item.label);
  const images: [string, string, string][] = [
    ['clean', item.files.clean, `predicted ${className(names, item.cleanPrediction)}`],
    ['adversarial', item.files.adversarial, `predicted ${className(names, item.adversarialPrediction)}`],
    ['perturbation', item.files.perturbation, `×${sig(item.amplification, 3)} amplified`],
  ];
  return h(
    'figure',
    { class: 'gallery-item' },
    h(
      'div',
      { class: 'gallery-images' },
      ...images.map(([kind, path, note]) => {
        const src = imageUrl(side, path);
        const alt = `${kind} image of ${item.relPath} (${note})`;
        const img = src ? h('img', { src, alt, loading: 'lazy' }) : h('span', { class: 'muted' }, missingImageText(side));
        const label = h('span', { class: 'gallery-label' }, `${kind}: ${note}`);
        // Only the panel's own run folder is known to the host, so only its images open.
        if (side.key !== 'a' || !src || ctx.standalone) return h('div', { class: 'gallery-cell' }, img, label);
        const button = h('button', { type: 'button', class: 'gallery-cell artefact', title: `Open ${path}` }, img, label);
        button.addEventListener('click', () => ctx.openArtefact(path.replace(/\\/g, '/')));
        return button;
      }),
    ),
    h(
      'figcaption',
      null,
      `${item.relPath}: true class ${truth}, ${className(names, item.cleanPrediction)} → ${className(names, item.adversarialPrediction)}; L2 ${fixed(item.l2, 3)}, L∞ ${sig(item.linf, 3)}`,
    ),
  );
}
