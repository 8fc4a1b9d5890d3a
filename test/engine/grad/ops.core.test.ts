import { CORE_CASES } from './cases/core';
import { opTest } from './opCheck';

for (const { name, check } of CORE_CASES) opTest(name, check);
