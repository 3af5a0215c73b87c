// A release's configuration items, in TypeBox: validated at publish, and the domain's ConfigItem
// type is derived from it (Static<>). Workflow code imports the type only.
import { Type, type Static } from 'typebox';
import { CONFIG_ITEM_NAME, CONFIG_SETTERS, CONFIG_TYPES } from '../config';
import { StringEnum } from './common';

/** One configuration item a release declares (docs/configuration-per-cell.md). */
export const ConfigItem = Type.Object(
  {
    name: Type.String({ pattern: CONFIG_ITEM_NAME, description: 'what manifests refer to as ${{ config.<name> }}' }),
    type: StringEnum(CONFIG_TYPES, { description: "a secret item is a reference to a key of a Secret in the cell ({secret: {name, key}}), never its value" }),
    default: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Number(), Type.Boolean()], { description: 'the value of a cell that sets none (not for secret items)' })),
    required: Type.Optional(Type.Boolean({ description: 'a cell without a value is held before its update, naming the item' })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    setBy: StringEnum(CONFIG_SETTERS, { description: "who sets it: an operator, the cell's customer (customer token), or read from the cell's stack output `output`" }),
    output: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9]{1,255}$', description: 'a stack item: the name of the stack output it is read from' })),
    values: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 200, uniqueItems: true, description: 'an enum item: the values it may take' })),
    renamedFrom: Type.Optional(Type.Array(Type.String({ pattern: CONFIG_ITEM_NAME }), { maxItems: 20, uniqueItems: true, description: "the item's names in earlier releases: a cell's value under one of them carries forward" })),
    maintenance: Type.Optional(Type.Boolean({ description: "a change of this item's value is applied in maintenance mode" })),
  },
  { additionalProperties: false },
);
export type ConfigItem = Static<typeof ConfigItem>;
