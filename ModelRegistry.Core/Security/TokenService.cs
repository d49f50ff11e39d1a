using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using ModelRegistry.Core.Audit;
using ModelRegistry.Core.Common;
using ModelRegistry.Core.Persistence;

namespace ModelRegistry.Core.Security;

/// <summary>
/// API tokens: made for oneself (or by the command line for anyone), listed, revoked, and checked on
/// every API call. Tokens look like <c>mr_</c> + 43 base64url characters; only their SHA-256 is stored.
/// </summary>
public sealed class TokenService(IDbContextFactory<RegistryDbContext> dbFactory, AccessGuard guard, AuditTrail audit, TimeProvider clock)
{
    public const string TokenPrefix = "mr_";

    /// <summary>What Hub clients demand at the start of a token (see <see cref="FromHubSpelling"/>).</summary>
    public const string HubPrefix = "hf_";
    public const int MaxExpiryDays = 3650;

    // Last-used times are a hint, not a ledger: write them at most once a minute per token.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>Makes a token for <paramref name="userId"/>. Anyone may make their own; the command line may make anyone's.</summary>
    public async Task<CreatedToken> CreateAsync(Actor actor, string userId, string name, int? expiresInDays, CancellationToken ct = default)
    {
        if (!actor.IsSystem && actor.UserId != userId)
        {
            throw new ForbiddenException("You can only make tokens for yourself.");
        }

        var cleanName = Input.Name("name", name, 100) ?? throw ValidationFailedException.For("name", "A token needs a name.");
        if (expiresInDays is < 1 or > MaxExpiryDays)
        {
            throw ValidationFailedException.For("expiresInDays", $"Expiry must be between 1 and {MaxExpiryDays} days, or none.");
        }

        var token = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Browse, ct);
        var entity = await db.InTransactionAsync(async () =>
        {
            if (!await db.Users.AnyAsync(u => u.Id == userId, ct))
            {
                throw new NotFoundException("There is no such user.");
            }

            var entity = new ApiToken(userId, cleanName, token[..10], Hash(token), now,
                expiresInDays is { } d ? now.AddDays(d) : null);
            db.ApiTokens.Add(entity);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(db, actor, AuditActions.TokenCreated, AuditEntities.Token, entity.Id.ToString(), null,
                new { userId, name = cleanName, prefix = entity.Prefix, expiresAt = entity.ExpiresAt }, ct);
            return entity;
        }, ct);

        return new CreatedToken(token, (await ListAsync(db, t => t.Id == entity.Id, ct))[0]);
    }

    /// <summary>The actor's own tokens, newest first.</summary>
    public async Task<IReadOnlyList<TokenInfo>> ListMineAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ListAsync(db, t => t.UserId == actor.UserId, ct);
    }

    /// <summary>Every user's tokens. Admin only.</summary>
    public async Task<IReadOnlyList<TokenInfo>> ListAllAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await guard.DemandAsync(db, actor, Permission.Administer, ct);
        return await ListAsync(db, _ => true, ct);
    }

    /// <summary>Revokes a token at once. Its owner or an Admin.</summary>
    public async Task RevokeAsync(Actor actor, long tokenId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.InTransactionAsync(async () =>
        {
            var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.Id == tokenId, ct);
            if (token is not null && token.UserId != actor.UserId)
            {
                try
                {
                    await guard.DemandAsync(db, actor, Permission.Administer, ct);
                }
                catch (ForbiddenException)
                {
                    token = null; // Someone else's token looks the same as no token: ids cannot be probed.
                }
            }

            if (token is null)
            {
                throw new NotFoundException("There is no such token.");
            }

            if (token.RevokedAt is not null)
            {
                return false;
            }

            await RevokeAndRecordAsync(db, actor, token, ct);
            return true;
        }, ct);
    }

    /// <summary>
    /// Revokes every token of <paramref name="userId"/> not yet revoked, inside the caller's transaction, each audited
    /// as if revoked one by one (closing an account). Returns how many.
    /// </summary>
    internal async Task<int> RevokeAllOfAsync(RegistryDbContext db, Actor actor, string userId, CancellationToken ct)
    {
        var live = await db.ApiTokens.Where(t => t.UserId == userId && t.RevokedAt == null).OrderBy(t => t.Id).ToListAsync(ct);
        foreach (var token in live)
        {
            await RevokeAndRecordAsync(db, actor, token, ct);
        }

        return live.Count;
    }

    private async Task RevokeAndRecordAsync(RegistryDbContext db, Actor actor, ApiToken token, CancellationToken ct)
    {
        token.Revoke(clock.GetUtcNow());
        await audit.RecordAsync(db, actor, AuditActions.TokenRevoked, AuditEntities.Token, token.Id.ToString(), null,
            new { userId = token.UserId, name = token.Name, prefix = token.Prefix }, ct);
    }

    /// <summary>
    /// The id of the user a presented token belongs to, or null when it is unknown, revoked or expired. The token may
    /// also be presented in one of its Hub spellings (<see cref="FromHubSpelling"/>).
    /// </summary>
    public async Task<string?> AuthenticateAsync(string presented, CancellationToken ct = default)
    {
        presented = FromHubSpelling(presented);
        if (!presented.StartsWith(TokenPrefix, StringComparison.Ordinal) || presented.Length > 100)
        {
            return null;
        }

        var hash = Hash(presented);
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.SecretHash == hash, ct);
        if (token is null || !token.IsActive(now))
        {
            return null;
        }

        if (token.LastUsedAt is null || now - token.LastUsedAt > LastUsedResolution)
        {
            token.MarkUsed(now);
            await db.SaveChangesAsync(ct);
        }

        return token.UserId;
    }

    /// <summary>
    /// Hub clients refuse tokens that do not start with <c>hf_</c> (docs/hub-compat.md), so a token is also accepted as
    /// <c>hf_</c> + the token, and — for clients that allow only letters and digits after <c>hf_</c> (llama.cpp) — as
    /// <c>hf_</c> + the token's characters in hexadecimal. Returns the token itself, or <paramref name="presented"/>
    /// unchanged when it is neither.
    /// </summary>
    public static string FromHubSpelling(string presented)
    {
        if (!presented.StartsWith(HubPrefix, StringComparison.Ordinal) || presented.Length > 300)
        {
            return presented;
        }

        var rest = presented[HubPrefix.Length..];
        if (rest.StartsWith(TokenPrefix, StringComparison.Ordinal))
        {
            return rest;
        }

        if (rest.Length % 2 == 0 && rest.All(char.IsAsciiHexDigit))
        {
            var decoded = Encoding.ASCII.GetString(Convert.FromHexString(rest));
            if (decoded.StartsWith(TokenPrefix, StringComparison.Ordinal))
            {
                return decoded;
            }
        }

        return presented;
    }

    /// <summary>The Hub spelling of <paramref name="token"/> made only of letters and digits after <c>hf_</c> (for llama.cpp).</summary>
    public static string HubHexSpelling(string token) => HubPrefix + Convert.ToHexStringLower(Encoding.ASCII.GetBytes(token));

    internal static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private async Task<IReadOnlyList<TokenInfo>> ListAsync(RegistryDbContext db,
        System.Linq.Expressions.Expression<Func<ApiToken, bool>> filter, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var tokens = await db.ApiTokens.AsNoTracking().Where(filter).Include(t => t.User)
            .OrderByDescending(t => t.CreatedAt).Take(1000).ToListAsync(ct);
        return tokens.Select(t => new TokenInfo(t.Id, t.Name, t.Prefix, t.User?.Email ?? "", t.CreatedAt, t.ExpiresAt,
            t.LastUsedAt, t.RevokedAt, t.IsActive(now))).ToList();
    }
}
