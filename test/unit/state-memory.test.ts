import { MemoryBlobStore } from '../../src/state/memory.js';
import { blobStoreConformance } from '../helpers/state-conformance.js';

blobStoreConformance('memory', async () => new MemoryBlobStore());
