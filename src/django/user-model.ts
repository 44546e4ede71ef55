// Where the user model lives in the database: Django's auth_user schema by default, or a custom user
// model's tables (for example an e-mail USERNAME_FIELD, no is_active column, PermissionsMixin's join
// tables named <app>_<model>_groups). Every name is checked against a plain-identifier pattern before it
// is quoted into SQL, so a mapping can never inject SQL; values (user names) are always parameters.
import { DjangoConfigError } from "../errors.js";

export interface UserModelMapping {
  readonly userTable: string;
  readonly userIdColumn: string;
  /** The USERNAME_FIELD's column. */
  readonly usernameColumn: string;
  readonly passwordColumn: string;
  /** null: the model has no is_active field, so every user is active (AbstractBaseUser's default). */
  readonly isActiveColumn: string | null;
  /** null: the model has no is_superuser field (no PermissionsMixin), so nobody is a superuser. */
  readonly isSuperuserColumn: string | null;
  /** null: the model has no is_staff field, so nobody is staff (Require node-staff never holds). */
  readonly isStaffColumn: string | null;
  readonly groupTable: string;
  readonly userGroupsTable: string;
  readonly userGroupsUserColumn: string;
  readonly userGroupsGroupColumn: string;
  readonly permissionTable: string;
  readonly contentTypeTable: string;
  readonly groupPermissionsTable: string;
  readonly userPermissionsTable: string;
  readonly userPermissionsUserColumn: string;
}

/** Django's own auth.User. */
export const DJANGO_AUTH_USER: UserModelMapping = Object.freeze({
  userTable: "auth_user",
  userIdColumn: "id",
  usernameColumn: "username",
  passwordColumn: "password",
  isActiveColumn: "is_active",
  isSuperuserColumn: "is_superuser",
  isStaffColumn: "is_staff",
  groupTable: "auth_group",
  userGroupsTable: "auth_user_groups",
  userGroupsUserColumn: "user_id",
  userGroupsGroupColumn: "group_id",
  permissionTable: "auth_permission",
  contentTypeTable: "django_content_type",
  groupPermissionsTable: "auth_group_permissions",
  userPermissionsTable: "auth_user_user_permissions",
  userPermissionsUserColumn: "user_id",
});

/** Spec key of each mapping field (docs/protocol.md, "Handler specs"). */
export const MAPPING_SPEC_KEYS: Readonly<Record<keyof UserModelMapping, string>> = Object.freeze({
  userTable: "user_table",
  userIdColumn: "user_id_column",
  usernameColumn: "username_column",
  passwordColumn: "password_column",
  isActiveColumn: "is_active_column",
  isSuperuserColumn: "is_superuser_column",
  isStaffColumn: "is_staff_column",
  groupTable: "group_table",
  userGroupsTable: "user_groups_table",
  userGroupsUserColumn: "user_groups_user_column",
  userGroupsGroupColumn: "user_groups_group_column",
  permissionTable: "permission_table",
  contentTypeTable: "content_type_table",
  groupPermissionsTable: "group_permissions_table",
  userPermissionsTable: "user_permissions_table",
  userPermissionsUserColumn: "user_permissions_user_column",
});

/** Columns a model may lack ("" in the spec): AbstractBaseUser without PermissionsMixin or is_staff. */
export const NULLABLE_COLUMNS: ReadonlySet<keyof UserModelMapping> = new Set(["isActiveColumn", "isSuperuserColumn", "isStaffColumn"]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** PostgreSQL truncates at 63 bytes, MySQL refuses more than 64; Django's own names are far shorter. */
const MAX_IDENTIFIER_LENGTH = 63;

/** Django's defaults overridden by `overrides`, every name validated. */
export function resolveMapping(overrides: Partial<UserModelMapping> = {}): UserModelMapping {
  const mapping = { ...DJANGO_AUTH_USER, ...overrides };
  for (const field of Object.keys(MAPPING_SPEC_KEYS) as Array<keyof UserModelMapping>) {
    const value = mapping[field];
    if (value === null && NULLABLE_COLUMNS.has(field)) continue;
    checkIdentifier(MAPPING_SPEC_KEYS[field], value);
  }
  return Object.freeze(mapping);
}

/** Throws DjangoConfigError naming `key` unless `value` is a plain SQL identifier. */
export function checkIdentifier(key: string, value: unknown): asserts value is string {
  if (typeof value !== "string" || !IDENTIFIER.test(value) || value.length > MAX_IDENTIFIER_LENGTH) {
    throw new DjangoConfigError(key, `must be a table or column name matching ${IDENTIFIER} (at most ${MAX_IDENTIFIER_LENGTH} characters)`);
  }
}
