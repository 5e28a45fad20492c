// The hand-written table printer shutter had against cli-table3: time per 1000-row table, and
// alignment with wide (CJK) characters. Run: node bench/cli/table-printers.mjs
import Table from 'cli-table3';
const cols=['status','started','ran','name','error'];
const rows=Array.from({length:1000},(_,i)=>({status:'SUCCEEDED',started:new Date(0).toISOString(),ran:`${i} ms`,name:`photos-${i}-写真-jpg-0123456789abcdef`,error:''}));
function hand(columns, rows){const cell=v=>v==null?'':String(v);const widths=columns.map(c=>Math.max(c.length,...rows.map(r=>cell(r[c]).length)));const line=vs=>vs.map((v,i)=>v.padEnd(widths[i])).join('  ').trimEnd();return [line(columns),...rows.map(r=>line(columns.map(c=>cell(r[c]))))].join('\n');}
function lib(columns, rows){const t=new Table({head:columns,chars:{top:'','top-mid':'','top-left':'','top-right':'',bottom:'','bottom-mid':'','bottom-left':'','bottom-right':'',left:'','left-mid':'',mid:'','mid-mid':'',right:'','right-mid':'',middle:'  '},style:{head:[],border:[],'padding-left':0,'padding-right':0}});for(const r of rows)t.push(columns.map(c=>String(r[c]??'')));return t.toString();}
for (const [n,f] of [['hand',hand],['cli-table3',lib]]){f(cols,rows);const s=performance.now();for(let i=0;i<10;i++)f(cols,rows);console.log(n,((performance.now()-s)/10).toFixed(1),'ms per 1000-row table');}
// alignment: display column where "error" header starts vs where the 5th column starts in a row with wide chars
const two=[{status:'A',started:'x',ran:'1',name:'写真写真',error:'E'},{status:'A',started:'x',ran:'1',name:'abcdefgh',error:'E'}];
for (const [n,f] of [['hand',hand],['cli-table3',lib]]) console.log(n+':\n'+f(cols,two));
