/** Where a file's original is kept in the object store: under its org, so an org's objects share a prefix. */
export const fileObjectKey = (orgId: string, fileId: string) => `${orgId}/files/${fileId}`
