import { Type } from 'typebox';
import { CellId, TemplateVersion } from '../../domain/schemas/common';

export const InfraCellParams = Type.Object({ cellId: CellId });
export const InfraUpdateParams = Type.Object({ cellId: CellId, templateVersion: TemplateVersion });

export const PublishInfraBody = Type.Object(
  {
    templateVersion: TemplateVersion,
    templateUrl: Type.String({ pattern: '^(https?|file)://\\S+$', description: 'where the new template is: https:// (S3) or file:// on the worker' }),
    publishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

export const InfraPublished = Type.Object({ id: Type.String(), workflowId: Type.String(), deadline: Type.String() });
export const InfraApplyAccepted = Type.Object({ id: Type.String(), by: Type.String() });
export const InfraCheckAccepted = Type.Object({ id: Type.String() });
