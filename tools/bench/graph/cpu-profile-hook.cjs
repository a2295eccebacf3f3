// Loaded with NODE_OPTIONS=--require into every node process of an nx command (the nx process and each
// plugin worker): writes a V8 CPU profile of the process into $NX_UV_CUDA_PROFILE_DIR when it exits.
// Node 20 refuses --cpu-prof in NODE_OPTIONS, hence the inspector session.
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const dir = process.env.NX_UV_CUDA_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    // The in-process inspector answers synchronously, so this works in an 'exit' handler too.
    session.post('Profiler.stop', (error, result) => {
      if (error || !result) return;
      const role = path.basename(process.argv[1] ?? 'node', '.js');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${role}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  process.on('exit', write);
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      write();
      process.exit(0);
    });
  }
}
