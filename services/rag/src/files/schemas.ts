import { type Static, Type } from 'typebox'
import { idPattern } from '../ids.ts'
import { ListOf, listQueryProperties } from '../pagination.ts'

export const FileParams = Type.Object({ file_id: Type.String() })

/** OpenAI's File object. */
export const FileView = Type.Object({
  id: Type.String(),
  object: Type.Literal('file'),
  /** Size in bytes. */
  bytes: Type.Integer(),
  /** Unix seconds. */
  created_at: Type.Integer(),
  /** Never: files are kept until deleted. */
  expires_at: Type.Null(),
  filename: Type.String(),
  purpose: Type.String(),
  /** Deprecated by OpenAI; always `processed` once the upload answered. */
  status: Type.Literal('processed'),
  status_details: Type.Null(),
})
export type FileView = Static<typeof FileView>

export const FileListQuery = Type.Object({
  ...listQueryProperties(idPattern('file')),
  /** Only files of this purpose. */
  purpose: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
})
export type FileListQuery = Static<typeof FileListQuery>

export const FileList = ListOf(FileView)

export const FileDeleted = Type.Object({
  id: Type.String(),
  object: Type.Literal('file'),
  deleted: Type.Boolean(),
})
