using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Security;
using ModelRegistry.Tests.Infrastructure;
using static ModelRegistry.Tests.Infrastructure.LifecycleAppExtensions;

namespace ModelRegistry.Tests.Core;

/// <summary>
/// A lost update on an entity other than a transition request (the only one with a concurrency token, its
/// <c>Revision</c>): a row changed under a tracked entity is a 409 with a message a person can act on, in Core and in
/// the API, and the writer queue goes on.
/// </summary>
public sealed class ConcurrencyConflictTests(RegistryApp app) : IClassFixture<RegistryApp>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_model_deleted_under_a_write_is_a_conflict_not_a_crash_and_the_next_write_goes_through()
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        var name = Unique("lost-update");
        await app.RegisterModelAsync(ds, name);

        await using var db = await app.DbAsync();
        var model = await db.Models.SingleAsync(m => m.Name == name, Ct);
        await using (var other = await app.DbAsync())
        {
            Assert.Equal(1, await other.Models.Where(m => m.Name == name).ExecuteDeleteAsync(Ct));
        }

        var conflict = await Assert.ThrowsAsync<ConflictException>(() => db.InTransactionAsync(() =>
        {
            model.Touch(model.UpdatedAt.AddMinutes(1));
            return Task.FromResult(true);
        }, Ct));

        Assert.Equal("Someone else changed this model at the same moment. Reload it and try again.", conflict.Message);
        // The conflict released the writer's turn: the next write through Core is not stuck behind it.
        var next = Unique("after-conflict");
        Assert.Equal(next, (await app.RegisterModelAsync(ds, next)).Name);
    }

    [Fact]
    public async Task The_api_answers_an_escaped_lost_update_with_409_problem_details()
    {
        await app.InitializeAsync();
        var lost = await CapturedAsync(Unique("escaped"));
        var handler = app.Get<IEnumerable<IExceptionHandler>>().Single();
        var context = new DefaultHttpContext { RequestServices = app.Services };
        context.Request.Method = "PUT";
        context.Request.Path = "/api/v1/models/x";
        context.Response.Body = new MemoryStream();

        Assert.True(await handler.TryHandleAsync(context, lost, Ct));

        Assert.Equal(StatusCodes.Status409Conflict, context.Response.StatusCode);
        context.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(context.Response.Body, cancellationToken: Ct);
        Assert.Equal(409, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("Conflict", problem.RootElement.GetProperty("title").GetString());
        Assert.Equal("Someone else changed this model at the same moment. Reload it and try again.",
            problem.RootElement.GetProperty("detail").GetString());
    }

    /// <summary>The exception EF Core itself throws when a tracked model's row is gone at SaveChanges (no transaction).</summary>
    private async Task<DbUpdateConcurrencyException> CapturedAsync(string name)
    {
        var ds = await app.CreateUserAsync(Roles.DataScientist);
        await app.RegisterModelAsync(ds, name);
        await using var db = await app.DbAsync();
        var model = await db.Models.SingleAsync(m => m.Name == name, Ct);
        await using (var other = await app.DbAsync())
        {
            await other.Models.Where(m => m.Name == name).ExecuteDeleteAsync(Ct);
        }

        model.Touch(model.UpdatedAt.AddMinutes(1));
        return await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => db.SaveChangesAsync(Ct));
    }
}
