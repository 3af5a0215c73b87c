import { Type } from 'typebox';
import { CONFIG_ITEM_NAME } from '../../domain/config';
import { ConfigItem } from '../../domain/schemas/config';

const SecretReference = Type.Object(
  {
    secret: Type.Object(
      {
        name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$', description: 'a Secret in the installation namespace of the cell' }),
        key: Type.String({ pattern: '^[-._a-zA-Z0-9]{1,253}$', description: 'a key of its data' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: 'a secret item: where its value is in the cell (never the value: cellshift never reads it)' },
);

export const ConfigValue = Type.Union([Type.String({ maxLength: 4096 }), Type.Number(), Type.Boolean(), SecretReference]);

export const ConfigBody = Type.Object(
  {
    values: Type.Record(Type.String({ pattern: CONFIG_ITEM_NAME }), Type.Union([ConfigValue, Type.Null()]), {
      minProperties: 1,
      maxProperties: 500,
      description: 'item → its value for this cell (null: unset it); items not named keep theirs',
    }),
    window: Type.Optional(Type.Literal('now', { description: "apply the change at once rather than in the cell's maintenance window" })),
  },
  { additionalProperties: false },
);

const ConfigEntry = Type.Object({
  ...ConfigItem.properties,
  value: Type.Optional(ConfigValue),
  source: Type.Union([Type.Literal('cell'), Type.Literal('default'), Type.Literal('stack'), Type.Literal('unset')], {
    description: "cell: the cell's own value (under this name or a former one); default: the release's; stack: read from the cell's stack output at each update; unset",
  }),
  missing: Type.Optional(Type.String({ description: 'a required item without a value: why the cell would be held' })),
});

export const CellConfig = Type.Object({
  cellId: Type.String(),
  revision: Type.Integer({ description: 'the revision of these values (0: none set)' }),
  setBy: Type.Optional(Type.String()),
  setAt: Type.Optional(Type.String({ format: 'date-time' })),
  applied: Type.Optional(Type.Integer({ description: "the revision the cell's objects were last rendered with" })),
  release: Type.Optional(Type.String({ description: 'the release whose items are listed: the version the cell is going to, else the one it runs' })),
  items: Type.Array(ConfigEntry),
  values: Type.Record(Type.String(), ConfigValue, { description: "every value set for the cell, items of other releases' included" }),
});

export const ConfigChange = Type.Object({
  revision: Type.Integer(),
  item: Type.String(),
  old: Type.Optional(ConfigValue),
  new: Type.Optional(ConfigValue),
  by: Type.String(),
  at: Type.String({ format: 'date-time' }),
});

export const ConfigSetAccepted = Type.Object({
  cellId: Type.String(),
  revision: Type.Integer(),
  changed: Type.Array(ConfigChange),
  change: Type.String({ description: 'what happens next: the configuration change, in the window or at once, or nothing' }),
});

export const ConfigChanges = Type.Object({ changes: Type.Array(ConfigChange, { description: 'newest first' }) });
