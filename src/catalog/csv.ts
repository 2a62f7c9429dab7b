/**
 * Splits one RFC 4180 CSV line into cells ("" escapes a quote). Quoted fields may not span
 * lines: creator profiles are one line each.
 */
export function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** CSV columns: id,name,about,tags,category,language,is_nsfw[,vector]; tags "|"-separated, vector JSON or space-separated. */
export function csvRow(header: string[], line: string): unknown {
  const cells = parseCsvLine(line);
  const row: Record<string, unknown> = {};
  header.forEach((name, i) => {
    const cell = cells[i];
    if (cell === undefined || cell === '') return;
    if (name === 'tags') row.tags = cell.split('|').map((t) => t.trim()).filter(Boolean);
    else if (name === 'is_nsfw') row.is_nsfw = /^(true|1|yes)$/i.test(cell) ? true : /^(false|0|no)$/i.test(cell) ? false : cell;
    else if (name === 'vector') row.vector = cell.trim().startsWith('[') ? safeJson(cell) : cell.trim().split(/\s+/).map(Number);
    else row[name] = cell;
  });
  return row;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
