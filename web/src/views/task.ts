/**
 * Rating task mode: walks a rater through a task exported by `npm run labels:export` (uploaded,
 * or the one MATCH_UI_TASK_FILE names), one item at a time, starting at the first item this rater
 * has not graded. Keys 2 / 1 / 0 grade, ← → move.
 */
import type { TaskItem } from '../../../src/ui/api-types';
import { api } from '../api';
import type { Ctx } from '../context';
import { h, mount } from '../dom';
import { GRADES } from '../results';
import { setStatus } from './query';

let task: { source: string; items: TaskItem[] } | undefined;
let position = 0;
let keyHandler: ((e: KeyboardEvent) => void) | undefined;

export function taskView(ctx: Ctx, root: HTMLElement): void {
  const status = h('div', { class: 'status', testid: 'status', role: 'status' });
  const body = h('div', { class: 'task', testid: 'task' });

  const graded = (it: TaskItem): number | undefined => ctx.gradeOf(it.fan_id, it.creator_id);
  const firstUnrated = (from = 0): number => {
    if (!task) return 0;
    for (let i = 0; i < task.items.length; i++) {
      const at = (from + i) % task.items.length;
      if (graded(task.items[at]!) === undefined) return at;
    }
    return Math.min(from, task.items.length - 1);
  };

  const grade = async (g: number): Promise<void> => {
    const it = task?.items[position];
    if (!it) return;
    try {
      await api.judge({ rater_id: ctx.rater, fan_id: it.fan_id, creator_id: it.creator_id, grade: g, item_id: it.item_id, mode: 'task' });
      ctx.setGrade(it.fan_id, it.creator_id, g);
      setStatus(status, `recorded ${it.item_id} = ${g}`);
      position = firstUnrated(position + 1);
      draw();
    } catch (err) {
      setStatus(status, `not recorded: ${String(err)}`, false);
    }
  };

  const draw = (): void => {
    if (!task) return mount(body, h('p', { class: 'muted' }, 'Load a rating task to start.'));
    const items = task.items;
    const done = items.filter((it) => graded(it) !== undefined).length;
    const it = items[position]!;
    const g = graded(it);
    const canJudge = ctx.config.judgments && ctx.rater !== '';
    mount(
      body,
      h(
        'div',
        { class: 'progress', testid: 'task-progress' },
        `${done} of ${items.length} rated by ${ctx.rater || '(no rater id)'} · item ${position + 1} · ${task.source}`,
        h('progress', { max: String(items.length), value: String(done) }),
      ),
      h(
        'div',
        { class: 'task-card' },
        h('div', { class: 'fan' }, h('div', { class: 'label' }, `fan ${it.fan_id} · ${it.query_kind === 'follows' ? 'supports' : 'looks for'}`), h('blockquote', { testid: 'task-query' }, it.query_kind === 'follows' ? it.liked_creators : it.fan_text)),
        h(
          'div',
          { class: 'creator' },
          h('div', { class: 'label' }, 'is this creator a good match?'),
          h('h3', { testid: 'task-creator' }, it.creator_name || it.creator_id),
          h('div', { class: 'meta' }, `${it.creator_category} · ${it.creator_language} · `, h('code', {}, it.creator_id)),
          it.creator_tags.length ? h('div', { class: 'meta' }, it.creator_tags.join(', ')) : null,
          it.creator_about ? h('p', {}, it.creator_about) : null,
        ),
        canJudge
          ? h(
              'div',
              { class: 'judge big' },
              GRADES.map((x) => h('button', { type: 'button', class: `g g${x.grade}${g === x.grade ? ' on' : ''}`, testid: `task-grade-${x.grade}`, onclick: () => void grade(x.grade) }, `${x.label} (${x.key})`)),
            )
          : h('p', { class: 'judge hint' }, ctx.config.judgments ? 'set a rater id (top right) to rate' : 'judging is off (MATCH_UI_JUDGMENTS_FILE)'),
        h(
          'div',
          { class: 'nav' },
          h('button', { type: 'button', disabled: position === 0, onclick: () => ((position = Math.max(0, position - 1)), draw()) }, '← previous'),
          h('button', { type: 'button', disabled: position >= items.length - 1, onclick: () => ((position = Math.min(items.length - 1, position + 1)), draw()) }, 'next →'),
          h('button', { type: 'button', onclick: () => ((position = firstUnrated(position + 1)), draw()) }, 'next unrated'),
        ),
      ),
    );
  };

  const start = async (load: () => Promise<{ source: string; items: TaskItem[] }>): Promise<void> => {
    setStatus(status, 'loading the task…');
    try {
      task = await load();
      await ctx.loadGrades().catch(() => undefined);
      position = firstUnrated(0);
      setStatus(status, `${task.items.length} items`);
      draw();
    } catch (err) {
      setStatus(status, String(err), false);
    }
  };

  const upload = h('input', {
    type: 'file',
    accept: '.csv,text/csv',
    testid: 'task-upload',
    onchange: (e: Event) => {
      const file = (e.target as HTMLInputElement).files?.[0];
      if (file) void start(async () => api.uploadTask(await file.text()));
    },
  });
  mount(
    root,
    h(
      'section',
      { class: 'panel' },
      h('p', {}, 'A rating task is the task.csv of ', h('code', {}, 'npm run labels:export'), ' (never its .gold.csv). Grades go to the judgments file with the task\'s item ids.'),
      h('div', { class: 'row' }, h('label', {}, 'upload task.csv ', upload), ctx.config.task_file ? h('button', { type: 'button', testid: 'task-configured', onclick: () => void start(() => api.task()) }, 'load the configured task') : null),
      status,
    ),
    body,
  );
  if (keyHandler) document.removeEventListener('keydown', keyHandler);
  keyHandler = (e: KeyboardEvent): void => {
    if (ctx.state.view !== 'task' || !task || (e.target instanceof HTMLInputElement && e.target.type !== 'file')) return;
    const g = GRADES.find((x) => x.key === e.key);
    if (g && ctx.config.judgments && ctx.rater) void grade(g.grade);
    else if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      position = e.key === 'ArrowRight' ? Math.min(task.items.length - 1, position + 1) : Math.max(0, position - 1);
      draw();
    }
  };
  document.addEventListener('keydown', keyHandler);
  draw();
}
