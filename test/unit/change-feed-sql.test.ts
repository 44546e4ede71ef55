// The change feed's SQL (src/django/change-feed/sql-*.ts) follows the user-model options: a custom user
// model's tables and columns are watched, a column the model lacks is not named, and removal does not
// depend on the options (it finds what any install made). The SQL itself runs in
// test/integration/change-feed-*.test.ts.
import { describe, expect, it } from "vitest";
import { feedSql } from "../../src/django/change-feed/admin.js";

const CUSTOM = { userTable: "accounts_emailuser", usernameColumn: "email", isActiveColumn: null, isStaffColumn: null, userGroupsTable: "accounts_emailuser_groups", userGroupsUserColumn: "emailuser_id" };

describe.each(["postgres", "mysql", "sqlite"] as const)("change feed SQL for %s", (driver) => {
  it("watches a custom user model's tables and columns, and names no column it lacks", () => {
    const install = feedSql(driver, CUSTOM).install.join("\n");
    for (const name of ["accounts_emailuser", "email", "accounts_emailuser_groups", "emailuser_id", "is_superuser"]) expect(install).toContain(name);
    expect(install).not.toMatch(/is_active|is_staff|"auth_user"|`auth_user`|"username"|`username`/);
  });

  it("removes the same objects whatever the options", () => {
    expect(feedSql(driver, CUSTOM).remove).toEqual(feedSql(driver, {}).remove);
  });
});
