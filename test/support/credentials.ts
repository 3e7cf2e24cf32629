import { asText, eventually, Harness } from './harness';

/** The holder's current credential (a VC-JWT), as support downloads it, once the read model has the holding. */
export async function credentialJwt(h: Harness, profileId: string, code: string): Promise<string> {
  const res = await eventually(
    () =>
      h.http
        .get(`/certification-profiles/${profileId}/certifications/${code}/credential`)
        .set('Authorization', `Bearer ${h.token(['support'])}`)
        .buffer(true)
        .parse(asText),
    (r) => r.status === 200,
  );
  return res.body as string;
}
