import { MemoryBlobStore } from '../../src/state/memory.js';
import { blobStoreConformance, replayingStore } from '../helpers/state-conformance.js';

blobStoreConformance('memory', async () => new MemoryBlobStore(), async () => replayingStore(new MemoryBlobStore()));
