export const NEWSLETTER_RUNTIME = Symbol('NewsletterRuntime');
