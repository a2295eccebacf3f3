import { describe, expect, it } from 'vitest';
import { hashExclusions, type ExclusionInputs } from './exclusions';

const PYPI = 'registry+https://pypi.org/simple';

/** The paths (context-relative) that each key leaves out, among `paths`. */
function excluded(inputs: ExclusionInputs, paths: string[]) {
  const exclusions = hashExclusions(inputs);
  return { image: paths.filter(exclusions.image), wheel: paths.filter(exclusions.wheel) };
}

describe('hashExclusions for a service with its own lock, built from its own folder', () => {
  const inputs: ExclusionInputs = {
    root: 'services/ml',
    contextDir: 'services/ml',
    lockFile: 'services/ml/uv.lock',
    prodLockFile: 'services/ml/prod/uv.lock',
    prodSliceSources: ['editable+.', PYPI],
  };
  const paths = [
    'uv.lock',
    'prod/uv.lock',
    'pyproject.toml',
    'prod/pyproject.toml',
    'src/app.py',
    'src/pyproject.toml',
    'vendor/pkg/uv.lock',
    'Dockerfile',
  ];

  it('leaves the lock files out of both the image and the wheel keys', () => {
    const { image, wheel } = excluded(inputs, paths);
    expect(image).toEqual(['uv.lock', 'prod/uv.lock']);
    expect(wheel).toEqual(expect.arrayContaining(['uv.lock', 'prod/uv.lock']));
  });

  it('leaves the project and prod manifests, and every uv.lock, out of the wheel key only', () => {
    expect(excluded(inputs, paths).wheel).toEqual([
      'uv.lock',
      'prod/uv.lock',
      'pyproject.toml',
      'prod/pyproject.toml',
      'vendor/pkg/uv.lock',
    ]);
  });

  it('keeps the prod manifest out of the wheel key even without a prod lock, and the lock files of prod/ out of images', () => {
    const { image, wheel } = excluded({ ...inputs, prodLockFile: undefined }, paths);
    expect(image).toEqual(['uv.lock', 'prod/uv.lock']);
    expect(wheel).toEqual(['uv.lock', 'prod/uv.lock', 'pyproject.toml', 'prod/pyproject.toml', 'vendor/pkg/uv.lock']);
  });
});

describe('hashExclusions for a member of a uv workspace, built from the workspace root', () => {
  const inputs: ExclusionInputs = {
    root: 'services/ml-service',
    contextDir: '.',
    lockFile: 'uv.lock',
    prodSliceSources: [
      'editable+services/ml-service',
      'editable+libs/shared',
      'virtual+libs/virtual-root',
      'directory+libs/plain',
      PYPI,
      'registry+https://download.pytorch.org/whl/cu124',
      'git+https://github.com/acme/kernels?rev=v1#0123abcd',
    ],
  };
  const paths = [
    'uv.lock',
    'pyproject.toml',
    'services/ml-service/pyproject.toml',
    'services/ml-service/prod/pyproject.toml',
    'services/ml-service/src/app.py',
    'libs/shared/pyproject.toml',
    'libs/shared/src/shared/__init__.py',
    'libs/virtual-root/pyproject.toml',
    'libs/plain/pyproject.toml',
    'libs/unused/pyproject.toml',
    'services/other/pyproject.toml',
  ];

  it('leaves only the lock out of the image keys', () => {
    expect(excluded(inputs, paths).image).toEqual(['uv.lock']);
  });

  it('leaves out of the wheel key the manifests of the project, the lock folder and the members the prod slice installs', () => {
    expect(excluded(inputs, paths).wheel).toEqual([
      'uv.lock',
      'pyproject.toml',
      'services/ml-service/pyproject.toml',
      'services/ml-service/prod/pyproject.toml',
      'libs/shared/pyproject.toml',
      'libs/virtual-root/pyproject.toml',
      'libs/plain/pyproject.toml',
    ]);
  });

  it('keeps a member the prod slice does not install (a dev-only member, another service) in the wheel key', () => {
    const { wheel } = excluded(inputs, paths);
    expect(wheel).not.toContain('libs/unused/pyproject.toml');
    expect(wheel).not.toContain('services/other/pyproject.toml');
  });
});

describe('hashExclusions and registry sources', () => {
  const base: ExclusionInputs = { root: 'svc', contextDir: '.', lockFile: 'uv.lock', prodSliceSources: [] };
  // Paths a registry URL or name could be mistaken for if it were read as a folder.
  const paths = [
    'libs/shared/pyproject.toml',
    'https:/pypi.org/simple/pyproject.toml',
    'https:/download.pytorch.org/whl/cu124/pyproject.toml',
    'pypi.org/simple/pyproject.toml',
    'src/pyproject.toml',
  ];

  it('never excludes anything for a registry, git or path source', () => {
    const withRegistries = excluded(
      {
        ...base,
        prodSliceSources: [
          PYPI,
          'registry+https://download.pytorch.org/whl/cu124',
          'registry+libs/shared',
          'git+https://github.com/acme/kernels#abc',
          'path+src',
          'url+https://example.com/pkg.tar.gz',
        ],
      },
      paths,
    );
    expect(withRegistries).toEqual({ image: [], wheel: [] });
    expect(withRegistries).toEqual(excluded(base, paths));
  });
});

describe('hashExclusions with a context that is not the project folder', () => {
  it('maps workspace paths to paths relative to the context', () => {
    const inputs: ExclusionInputs = {
      root: 'services/ml',
      contextDir: 'services',
      lockFile: 'services/uv.lock',
      prodLockFile: 'services/ml/prod/uv.lock',
      // Relative to services/ml/prod, the folder of the lock the prod slice is cut from.
      prodSliceSources: ['editable+..', 'editable+../../libs/shared', PYPI],
    };
    const paths = [
      'uv.lock',
      'ml/prod/uv.lock',
      'pyproject.toml',
      'ml/pyproject.toml',
      'ml/prod/pyproject.toml',
      'libs/shared/pyproject.toml',
      // The same files named from the workspace root: not context paths, so never matched.
      'services/uv.lock',
      'services/ml/pyproject.toml',
      'services/libs/shared/pyproject.toml',
    ];
    expect(excluded(inputs, paths)).toEqual({
      image: ['uv.lock', 'ml/prod/uv.lock'],
      wheel: [
        'uv.lock',
        'ml/prod/uv.lock',
        'pyproject.toml',
        'ml/pyproject.toml',
        'ml/prod/pyproject.toml',
        'libs/shared/pyproject.toml',
        'services/uv.lock',
      ],
    });
  });

  it('normalizes sources that climb out of the lock folder', () => {
    const { wheel } = hashExclusions({
      root: 'apps/api',
      contextDir: '.',
      lockFile: 'apps/api/uv.lock',
      prodSliceSources: ['editable+.', 'editable+../../libs/shared'],
    });
    expect(wheel('libs/shared/pyproject.toml')).toBe(true);
    expect(wheel('apps/api/pyproject.toml')).toBe(true);
    expect(wheel('apps/libs/shared/pyproject.toml')).toBe(false);
  });

  // A member that prod/uv.lock installs by path is left out of the wheel key: an edit of its pyproject.toml
  // must not recompile the wheel.
  it('reads the sources of a prod slice relative to prod/uv.lock', () => {
    const { wheel } = hashExclusions({
      root: 'services/ml',
      contextDir: '.',
      lockFile: 'services/ml/uv.lock',
      prodLockFile: 'services/ml/prod/uv.lock',
      prodSliceSources: ['virtual+.', 'editable+../../../libs/shared'],
    });
    expect(wheel('libs/shared/pyproject.toml')).toBe(true);
  });
});

describe('hashExclusions with per-backend lock files', () => {
  it('leaves every uv.lock and uv-<backend>.lock of the lock folder and prod/ out, and no other lock', () => {
    const { image, wheel } = hashExclusions({
      root: 'services/ml',
      contextDir: 'services/ml',
      lockFile: 'services/ml/uv-cu128.lock',
      prodLockFile: 'services/ml/prod/uv-cu128.lock',
      prodSliceSources: [],
    });
    for (const path of ['uv.lock', 'uv-cu124.lock', 'uv-cu128.lock', 'prod/uv.lock', 'prod/uv-cu124.lock']) {
      expect(image(path)).toBe(true);
      expect(wheel(path)).toBe(true);
    }
    expect(image('vendor/uv-cu128.lock')).toBe(false);
    expect(image('uv-cu128.lock.bak')).toBe(false);
    expect(image('src/uv.py')).toBe(false);
  });
});
