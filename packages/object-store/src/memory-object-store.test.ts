import { createMemoryObjectStore } from './memory-object-store.ts'
import { objectStoreContract } from './object-store.contract.ts'

objectStoreContract('memory', () => createMemoryObjectStore())
